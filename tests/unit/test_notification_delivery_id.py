"""Every attempt of a delivery to an HTTP webhook carries the delivery's id in a header,
as apprise reads the URL; other channels' URLs are left alone."""

from __future__ import annotations

import apprise
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notification.adapters.apprise_channels import AppriseChannels, scheme_of
from services.notification.domain.delivery import DELIVERY_ID_HEADER, with_delivery_id

AppriseChannels()  # loads apprise's plugins once, as the service does (no I/O)


@given(delivery_id=st.integers(1, 2**63 - 1),
       url=st.sampled_from(["json://127.0.0.1:8/hook", "forms://hooks.test/a?method=PUT",
                            "xml://user:pw@127.0.0.1/x?+X-Token=abc"]))  # fmt: skip
def test_a_webhook_gets_the_id_in_a_header_and_keeps_its_own(url: str, delivery_id: int) -> None:
    plugin = apprise.Apprise.instantiate(with_delivery_id(url, scheme_of(url), delivery_id))
    assert isinstance(plugin, apprise.NotifyBase)
    headers = plugin.headers  # type: ignore[attr-defined]
    assert headers[DELIVERY_ID_HEADER] == str(delivery_id)
    if "X-Token" in url:
        assert headers["X-Token"] == "abc"
    if "method=PUT" in url:
        assert plugin.method == "PUT"  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", ["mailto://127.0.0.1:25?to=a@b.test", "dingtalk://token/"])
def test_other_channels_are_left_alone(url: str) -> None:
    assert with_delivery_id(url, scheme_of(url), 7) == url
