"""Between the predictor's results and its protobuf messages."""

from __future__ import annotations

from maintenance.intake.v1 import intake_pb2
from maintenance.predictor.v1 import predictor_pb2 as pb

from services.common.protoenum import code_of
from services.predictor.adapters.runs_repo import StoredHotspot
from services.predictor.domain.rules import Caller

__all__ = ["caller_of", "evaluation_to_pb", "hotspot_to_pb"]


def caller_of(actor: intake_pb2.Actor) -> Caller:
    return Caller(actor.username, code_of(intake_pb2.Role, "ROLE_", actor.role), actor.site)


def hotspot_to_pb(h: StoredHotspot) -> pb.Hotspot:
    loc = h.location
    return pb.Hotspot(
        id=h.id, rank=h.rank, level=h.level, key=h.key,
        location=pb.HotspotLocation(site=h.site, building=loc.get("building", ""),
                                    floor=loc.get("floor", ""), unit=loc.get("unit", ""),
                                    asset=loc.get("asset", "")),
        probability=h.probability,
        reasons=[pb.Reason(feature=str(r.get("feature", "")), value=r.get("value"),
                           text_zh=str(r.get("text_zh", "")), text_en=str(r.get("text_en", "")),
                           effect=str(r.get("effect", "")), weight=float(r.get("weight", 0.0)))
                 for r in h.reasons],
        action=pb.Action(code=h.action.get("code", ""), component=h.action.get("component", ""),
                         text_zh=h.action.get("text_zh", ""), text_en=h.action.get("text_en", "")),
        model_version=h.model_version, as_of=h.as_of.isoformat(), horizon_days=h.horizon_days,
        work_order_ticket_id=h.work_order_ticket_id,
    )  # fmt: skip


def evaluation_to_pb(row: dict[str, float | int | str]) -> pb.EvaluationRow:
    return pb.EvaluationRow(**row)  # type: ignore[arg-type]
