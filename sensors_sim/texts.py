"""What tenants and sensors write: ticket titles and descriptions in Chinese and English."""

from __future__ import annotations

__all__ = ["RATING_COMMENTS", "SENSOR_TEXTS", "TENANT_TEXTS", "TenantText"]

#: (English title, English description, Chinese title, Chinese description)
TenantText = tuple[str, str, str, str]

#: Category -> what tenants write about it.
TENANT_TEXTS: dict[str, tuple[TenantText, ...]] = {
    "plumbing": (
        ("Kitchen tap keeps dripping", "The kitchen tap drips all night even when fully closed.",
         "厨房水龙头一直滴水", "厨房水龙头关紧了还是整夜滴水，麻烦派人看一下。"),
        ("Water leak under the bathroom sink", "There is a puddle under the sink every morning.",
         "卫生间洗手盆下面漏水", "每天早上洗手盆下面都有一滩水，怀疑下水管漏水。"),
        ("Toilet will not stop running", "The toilet cistern keeps refilling every few minutes.",
         "马桶一直流水", "马桶水箱每隔几分钟就自己进水，停不下来。"),
        ("Low hot water pressure", "Hot water in the shower is only a trickle since last week.",
         "热水水压很低", "从上周开始淋浴的热水只有很小一股。"),
        ("Drain blocked in the shower", "Water stays in the shower tray for ages.",
         "淋浴间下水堵了", "淋浴间的水半天都下不去，有异味。"),
    ),
    "electrical": (
        ("Socket in the living room is dead", "The socket next to the TV has no power.",
         "客厅插座没电", "电视旁边的插座没有电，其他插座正常。"),
        ("Breaker trips when the oven is on", "The kitchen breaker trips every time we bake.",
         "一开烤箱就跳闸", "每次用烤箱厨房的空开就跳闸。"),
        ("Corridor light flickering", "The light outside our door flickers all evening.",
         "走廊灯一直闪", "我家门口走廊的灯整晚一闪一闪的。"),
    ),
    "hvac": (
        ("Air conditioner not cooling", "The bedroom AC runs but blows warm air.",
         "空调不制冷", "卧室空调开着但是吹的是热风，屋里很热。"),
        ("AC leaking water onto the floor", "Water drips from the indoor unit onto the floor.",
         "空调室内机滴水", "空调室内机往地板上滴水，已经用盆接着了。"),
        ("Heating radiator stays cold", "The radiator in the living room is cold all day.",
         "暖气片不热", "客厅的暖气片一整天都是凉的。"),
        ("Noisy ventilation fan", "The bathroom fan rattles loudly.",
         "排风扇噪音大", "卫生间的排风扇响声很大，咔咔响。"),
    ),
    "doors_windows": (
        ("Balcony door does not lock", "The balcony door handle turns but the lock does not catch.",
         "阳台门锁不上", "阳台门把手能转但是锁舌不出来。"),
        ("Window seal broken, draught", "Cold air comes in around the bedroom window.",
         "窗户密封条坏了漏风", "卧室窗户四周漏风，密封条脱落了。"),
    ),
    "elevator": (
        ("Elevator doors close too fast", "The doors almost hit my child this morning.",
         "电梯门关得太快", "今天早上电梯门差点夹到孩子，关门太快了。"),
        ("Elevator makes a grinding noise", "There is a grinding sound between floors 3 and 5.",
         "电梯运行有异响", "电梯在3楼到5楼之间有摩擦的声音。"),
    ),
    "noise": (
        ("Loud music late at night", "Music from upstairs until 1 am several nights this week.",
         "深夜噪音扰民", "楼上这周好几天放音乐到凌晨一点。"),
        ("Renovation noise at weekends", "Drilling next door on Sunday morning at 7.",
         "周末装修噪音", "隔壁周日早上7点就开始打电钻。"),
    ),
    "cleaning": (
        ("Rubbish not collected", "The bins on our floor have not been emptied for two days.",
         "垃圾没有清运", "我们楼层的垃圾桶两天没人清理了。"),
        ("Stairwell is dirty", "The stairwell has not been cleaned this week.",
         "楼梯间很脏", "楼梯间这周都没有打扫。"),
    ),
    "parking": (
        ("Someone parks in my space", "A white car has been in my space since yesterday.",
         "车位被占", "从昨天开始有一辆白色的车停在我的车位上。"),
        ("Parking permit renewal", "How do I renew my parking permit for next year?",
         "停车证怎么续办", "请问明年的停车证怎么续办？需要什么材料？"),
    ),
    "security": (
        ("Entrance gate left open", "The building entrance gate was open all night.",
         "单元门整晚开着", "单元门昨晚一整晚都开着，门禁好像坏了。"),
        ("Access card stopped working", "My access card no longer opens the lobby door.",
         "门禁卡失效", "我的门禁卡刷不开大堂的门了。"),
    ),
    "fees": (
        ("Question about the service charge", "Why did the service charge go up this quarter?",
         "物业费疑问", "这个季度的物业费为什么涨了？"),
        ("Invoice for last month", "Please send me an invoice for last month's payment.",
         "上月缴费发票", "请给我开一张上个月缴费的发票。"),
    ),
    "other": (
        ("Lost and found", "I lost a black umbrella in the lobby yesterday.",
         "失物招领", "昨天在大堂丢了一把黑色的伞，请问有人捡到吗？"),
        ("Package room opening hours", "When is the package room open at weekends?",
         "快递室开放时间", "请问周末快递室几点开门？"),
    ),
}  # fmt: skip

#: Alert type -> (English title, Chinese title); `{where}` is the asset or unit and floor.
SENSOR_TEXTS: dict[str, tuple[str, str]] = {
    "leak": ("Water leak detected at {where}", "检测到漏水：{where}"),
    "moisture_high": ("High moisture at {where}", "湿度过高：{where}"),
    "power_outage": ("Power outage at {where}", "停电：{where}"),
    "voltage_out_of_range": ("Voltage out of range at {where}", "电压异常：{where}"),
    "elevator_fault": ("Elevator fault at {where}", "电梯故障：{where}"),
    "door_faults": ("Repeated elevator door faults at {where}", "电梯门频繁故障：{where}"),
    "entrapment": ("Passengers trapped in elevator at {where}", "电梯困人：{where}"),
}

#: Stars -> (English comment, Chinese comment).
RATING_COMMENTS: dict[int, tuple[str, str]] = {
    5: ("Fixed quickly, thank you!", "修得很快，谢谢师傅！"),
    4: ("Good job, took a little while.", "处理得不错，就是等了一会儿。"),
    3: ("OK in the end, but slow.", "最后解决了，但是有点慢。"),
    2: ("Took far too long.", "等了太久了。"),
    1: ("Still not happy, had to chase it several times.", "催了好几次，很不满意。"),
}
