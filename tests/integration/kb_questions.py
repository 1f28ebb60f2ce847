"""Held-out questions for the knowledge base's search (docs/knowledge-base.md): how tenants
ask, in Chinese and English, written apart from the demo articles (not their titles), each
with the demo article that answers it."""

from __future__ import annotations

__all__ = ["QUESTIONS"]

#: (question, the article id that answers it)
QUESTIONS: tuple[tuple[str, str], ...] = (
    # fees
    ("物业费怎么交", "fee-payment"),
    ("how do I pay the management fee", "fee-payment"),
    ("管理费可以用支付宝付吗", "fee-payment"),
    ("can I pay the service charge by bank transfer every quarter", "fee-payment"),
    ("交了钱想要一张发票", "fee-invoice"),
    ("I need a receipt for my company to claim the fee", "fee-invoice"),
    ("家里突然没电了，是不是电费用完了", "utility-bills"),
    ("where can I recharge my electricity meter", "utility-bills"),
    # parking
    ("想在地库长期租个车位", "parking-monthly"),
    ("how much is a parking spot per month", "parking-monthly"),
    ("朋友开车来看我停哪里", "visitor-parking"),
    ("my guest is driving over, is there somewhere they can leave the car", "visitor-parking"),
    ("小区有没有充电桩可以给新能源车充电", "ev-charging"),
    ("where do I charge my electric scooter", "ev-charging"),
    # renovation
    ("我家准备装修，要去物业办什么", "renovation-permit"),
    ("what paperwork do I need before the builders start", "renovation-permit"),
    ("装修押金交多少", "renovation-permit"),
    ("楼上周末一直在电钻，允许吗", "renovation-hours"),
    ("what time can the workers start drilling", "renovation-hours"),
    # deliveries and access
    ("我的快递放哪了", "parcels"),
    ("where do couriers leave my packages", "parcels"),
    ("点的外卖能送到楼下吗", "visitor-access"),
    ("how do I let a friend in through the gate", "visitor-access"),
    # amenities
    ("泳池几点开门", "pool"),
    ("is the swimming pool open in winter", "pool"),
    ("健身房要收费吗", "gym"),
    ("what are the opening hours of the fitness room", "gym"),
    ("想借个地方给孩子办生日会", "clubhouse-booking"),
    ("can I reserve a room for a party", "clubhouse-booking"),
    # pets
    ("小区里可以养狗吗", "pets"),
    ("do I have to keep my dog on a lead", "pets"),
    ("遛狗需要注意什么", "pets"),
    # moving in and out
    ("刚买的房子怎么办理收房", "move-in"),
    ("I just rented a flat here, how do I register and get the keys", "move-in"),
    ("下周要搬走，电梯能用来运家具吗", "move-out"),
    ("I'm moving out next week, do I need permission to take my furniture out", "move-out"),
    # rubbish
    ("垃圾什么时候可以扔", "rubbish"),
    ("which bin do old batteries go in", "rubbish"),
    ("旧床垫不要了放哪", "bulky-waste"),
    ("how do I throw away an old sofa", "bulky-waste"),
    # security and access
    ("门卡掉了", "access-card"),
    ("can I open the door with face recognition", "access-card"),
    ("出门忘带钥匙进不了家", "locked-out"),
    ("I locked myself out of my apartment", "locked-out"),
    # water and repairs
    ("明天会停水吗", "water-outage"),
    ("the water pressure in my bathroom is really weak", "water-outage"),
    ("家里东西坏了怎么找人修", "report-repair"),
    ("do I have to pay for repairs inside my flat", "report-repair"),
)
