"""The demo site's knowledge base (`make run`): answers to the questions tenants ask most,
each in Chinese and English. `services.intake.demo` puts them through the same use case as
`PUT /v1/kb/articles/{article_id}`."""

from __future__ import annotations

from services.intake.domain.knowledge import Article

__all__ = ["DEMO_ARTICLES"]


def _article(
    article_id: str, category: str, tags: str, zh: tuple[str, str], en: tuple[str, str]
) -> Article:
    return Article(
        article_id, zh[0], zh[1], en[0], en[1], category, tuple(tags.split()), "both",
        site="demo", published=True,
    )  # fmt: skip


DEMO_ARTICLES: tuple[Article, ...] = (
    _article(
        "fee-payment",
        "fees",
        "物业费 缴费 fee payment billing",
        (
            "物业费的缴纳方式",
            "物业费按季度收取，标准为每月每平方米 2.8 元。\n\n"
            "- 在业主 App 的「缴费」页面用微信或支付宝在线支付；\n"
            "- 到 A 栋一楼物业服务中心刷卡或扫码支付（周一至周日 8:30-18:00）；\n"
            "- 也可以签约银行代扣，每季度首月自动扣款。\n\n"
            "逾期未交会收到短信提醒；有困难请联系管家协商分期。",
        ),
        (
            "Paying the property management fee",
            "The management fee (property fee) is billed every quarter at CNY 2.8 per square metre "
            "per month.\n\n- Pay online in the resident app under **Payments** with WeChat Pay or "
            "Alipay;\n- pay by card or QR code at the service centre, ground floor of Building A "
            "(daily 8:30-18:00);\n- or set up a bank direct debit, charged in the first month of "
            "each quarter.\n\nIf a payment is late you get a text reminder; ask your housekeeper "
            "about paying in instalments.",
        ),
    ),
    _article(
        "fee-invoice",
        "fees",
        "发票 收据 invoice fapiao receipt",
        (
            "缴费后如何开具发票",
            "在线缴费成功后，可在 App「缴费记录」里点击「申请发票」，填写抬头和税号，电子发票会在 "
            "3 个工作日内发送到您的邮箱。需要纸质收据或增值税专用发票，请带缴费记录到物业服务中心办理。",
        ),
        (
            "Getting an invoice (fapiao) for what you paid",
            "After paying online, open **Payment history** in the app and tap **Request invoice**; "
            "enter the company name and tax number and the electronic fapiao arrives by e-mail "
            "within 3 working days. For a paper receipt or a special VAT invoice, bring the payment "
            "record to the service centre.",
        ),
    ),
    _article(
        "utility-bills",
        "fees",
        "水费 电费 燃气 预付费 electricity water gas meter top-up",
        (
            "水电燃气费用怎么充值",
            "各户电表和水表均为预付费表，余额不足时会断电或停水。可在国家电网 App、自来水公司公众号"
            "或业主 App「生活缴费」中充值，充值后 10 分钟内到账。燃气费由燃气公司按月抄表收取。",
        ),
        (
            "Topping up electricity, water and gas",
            "Every flat has prepaid electricity and water meters: when the balance runs out the "
            "power or water stops. Top up in the State Grid app, the water company's WeChat account "
            "or under **Utilities** in the resident app; credit arrives within 10 minutes. Gas is "
            "read monthly and billed by the gas company.",
        ),
    ),
    _article(
        "parking-monthly",
        "parking",
        "车位 月卡 停车 parking space permit car",
        (
            "办理地下车库月租车位",
            "地下车库月租车位每月 300 元，按先到先得分配。请带行驶证、身份证和房产证明到物业服务中心"
            "登记车牌，缴费后车牌当天录入道闸系统，进出自动抬杆。车位不得转租。",
        ),
        (
            "Renting a monthly space in the underground car park",
            "A monthly space in the underground garage costs CNY 300 a month, first come first "
            "served. Bring your vehicle licence, ID and proof of residence to the service centre to "
            "register your number plate; once paid, the barrier recognises your car the same day. "
            "Spaces may not be sublet.",
        ),
    ),
    _article(
        "visitor-parking",
        "parking",
        "访客 临时停车 visitor guest parking",
        (
            "亲友来访时的临时停车",
            "访客车辆可在 B 栋旁地面停车场临时停放：前 2 小时免费，之后每小时 5 元，每天最高 40 元。"
            "业主可在 App 提前登记访客车牌，到达时自动放行。消防通道严禁停车。",
        ),
        (
            "Parking for guests and visitors",
            "Visitors can park in the surface car park next to Building B: the first 2 hours are "
            "free, then CNY 5 an hour, at most CNY 40 a day. Register your guest's number plate in "
            "the app beforehand and the barrier opens for them. Never park in the fire lanes.",
        ),
    ),
    _article(
        "ev-charging",
        "parking",
        "充电桩 电动车 电瓶车 charger electric vehicle e-bike",
        (
            "电动汽车和电动自行车充电",
            "地下车库 B1 层有 20 个公共充电桩，扫码充电，每度电 1.2 元。安装私人充电桩需提交申请和电力"
            "报装资料。电动自行车请到非机动车棚的充电柜充电，严禁推入楼道或电梯、在家中充电。",
        ),
        (
            "Charging an electric car or e-bike",
            "Level B1 of the garage has 20 public chargers: scan the code to charge, CNY 1.2 per "
            "kWh. To install a private charger, apply with the power company's paperwork. Charge "
            "electric bikes and scooters at the charging lockers in the bike shed: never take them "
            "into corridors or lifts or charge them at home.",
        ),
    ),
    _article(
        "renovation-permit",
        "other",
        "装修 申请 押金 renovation permit deposit contractor",
        (
            "装修前要办哪些手续",
            "开工前 5 个工作日到物业服务中心办理装修申请：提交装修图纸、施工单位营业执照和资质、"
            "施工人员身份证复印件，签署装修管理协议，交装修押金 3000 元和垃圾清运费。审核通过后领取"
            "《装修许可证》和施工人员出入证。拆改承重墙、改动燃气管道一律禁止。",
        ),
        (
            "What you need before renovating",
            "Apply at the service centre at least 5 working days before work starts: bring the "
            "design drawings, your contractor's business licence and qualifications and copies of "
            "the workers' IDs, sign the renovation agreement and pay a CNY 3,000 deposit plus the "
            "debris removal fee. Once approved you receive the renovation permit and passes for the "
            "workers. Load-bearing walls and gas pipes must never be altered.",
        ),
    ),
    _article(
        "renovation-hours",
        "noise",
        "装修 噪音 施工时间 noise drilling working hours",
        (
            "装修施工时间规定",
            "工作日 8:00-12:00、14:00-18:00 可以施工；电钻、电锤、切割等噪音较大的作业只能在工作日"
            "9:00-12:00、14:30-17:30 进行。周末和法定节假日禁止噪音作业。遇到违规施工噪音可以联系"
            "物业或在 App 提交投诉。",
        ),
        (
            "Renovation working hours and noise",
            "Renovation work is allowed on weekdays 8:00-12:00 and 14:00-18:00; noisy work such as "
            "drilling, hammering or cutting only on weekdays 9:00-12:00 and 14:30-17:30. No noisy "
            "work at weekends or on public holidays. If a neighbour drills outside these hours, "
            "call the service centre or file a complaint in the app.",
        ),
    ),
    _article(
        "parcels",
        "other",
        "快递 包裹 驿站 快递柜 parcel package courier locker",
        (
            "快递包裹在哪里取",
            "快递员不进楼，包裹统一放在东门快递驿站（每天 8:00-21:00）或各栋一楼的智能快递柜。"
            "取件码会通过短信发送；快递柜超过 24 小时会收取少量保管费。大件和生鲜可以预约送货上门。",
        ),
        (
            "Where to collect parcels and deliveries",
            "Couriers do not enter the buildings: packages go to the parcel station at the east "
            "gate (daily 8:00-21:00) or to the smart lockers on the ground floor of each building. "
            "You get a pick-up code by text; lockers charge a small fee after 24 hours. Large or "
            "fresh-food deliveries can be brought to your door by appointment.",
        ),
    ),
    _article(
        "visitor-access",
        "security",
        "访客 外卖 门禁 visitor takeaway food delivery gate",
        (
            "访客和外卖员怎么进小区",
            "访客需在门岗登记或由业主在 App 生成访客二维码。外卖员可送到各栋一楼大堂，晚上 22:00 后"
            "请业主到大门口自取。家政、维修等服务人员需业主提前登记。",
        ),
        (
            "Letting in guests and food delivery riders",
            "Guests sign in at the gate, or you create a visitor QR code for them in the app. Food "
            "delivery riders may bring takeaway orders to your building's lobby; after 22:00 please "
            "meet them at the main gate. Cleaners, repairers and other helpers must be registered "
            "by the resident in advance.",
        ),
    ),
    _article(
        "pool",
        "other",
        "泳池 游泳 开放时间 swimming pool opening hours",
        (
            "游泳池开放时间和须知",
            "室外泳池每年 6 月 1 日至 9 月 30 日开放，每天 9:00-21:00，周一上午换水清洁暂停开放。"
            "凭业主卡入场，儿童须由成人陪同，入池前请淋浴并佩戴泳帽。雷雨天气临时关闭。",
        ),
        (
            "Swimming pool: opening hours and rules",
            "The outdoor pool opens from 1 June to 30 September, daily 9:00-21:00, except Monday "
            "mornings when it is cleaned. Enter with your resident card; children must come with an "
            "adult; shower and wear a swimming cap. It closes during thunderstorms.",
        ),
    ),
    _article(
        "gym",
        "other",
        "健身房 运动 gym fitness exercise",
        (
            "健身房使用说明",
            "会所二楼健身房每天 6:00-22:00 开放，业主刷卡免费使用。请穿运动鞋，器械用后归位；16 岁"
            "以下需家长陪同。私教课程可在前台预约。",
        ),
        (
            "Using the gym",
            "The gym on the second floor of the clubhouse opens daily 6:00-22:00 and is free with "
            "your resident card. Wear trainers and put the equipment back; under-16s need a parent "
            "with them. Personal training sessions can be booked at the front desk.",
        ),
    ),
    _article(
        "clubhouse-booking",
        "other",
        "会所 活动室 预约 clubhouse function room booking party",
        (
            "预约会所活动室",
            "会所一楼多功能活动室可用于生日聚会、兴趣班等活动，需提前 3 天在 App「公共设施」中预约，"
            "每次最长 4 小时，收取场地清洁费 100 元。活动结束后请恢复原状，22:00 前结束。",
        ),
        (
            "Booking the clubhouse function room",
            "The multi-purpose room on the clubhouse ground floor can host birthday parties, "
            "classes and other events. Book at least 3 days ahead under **Facilities** in the app; "
            "up to 4 hours each time, CNY 100 cleaning fee. Leave it as you found it and finish by "
            "22:00.",
        ),
    ),
    _article(
        "pets",
        "other",
        "宠物 养狗 养猫 犬只 pets dog cat leash",
        (
            "小区养宠物的规定",
            "养犬须到派出所办理犬只登记并按时接种狂犬疫苗，烈性犬禁止饲养。遛狗必须牵绳，"
            "及时清理粪便，不得进入儿童游乐区和泳池区域；乘电梯请抱起或靠边。猫咪请勿散养。",
        ),
        (
            "Keeping pets: dogs and cats",
            "Dogs must be registered with the police station and vaccinated against rabies; "
            "dangerous breeds are not allowed. Keep your dog on a leash, clean up after it, and "
            "keep it out of the playground and pool area; in the lift hold it or stand aside. "
            "Please keep cats indoors.",
        ),
    ),
    _article(
        "move-in",
        "other",
        "入住 交房 钥匙 move in handover keys",
        (
            "新业主入住办理",
            "收房时请带购房合同、身份证和缴费单据到物业服务中心办理入住：核对房屋、抄水电表读数、"
            "领取钥匙和门禁卡，并登记家庭成员信息。租户入住需业主陪同或提供租赁合同和业主授权书。",
        ),
        (
            "Moving in: handover, keys and registration",
            "When you take over your flat, bring the purchase contract, your ID and payment "
            "receipts to the service centre: we inspect the flat with you, read the water and "
            "power meters, hand over keys and access cards, and register your household. Tenants "
            "who rent need the landlord present, or the lease and the owner's authorisation.",
        ),
    ),
    _article(
        "move-out",
        "other",
        "搬家 搬出 货梯 放行条 moving out removal goods lift",
        (
            "搬家需要提前预约吗",
            "搬入或搬出大件家具须提前 1 天到物业服务中心登记，预约货梯使用时间（8:00-20:00），"
            "搬出物品需业主签字开具放行条，门岗凭条放行。请用保护垫包好电梯轿厢。",
        ),
        (
            "Moving house: booking the goods lift",
            "To move furniture in or out, register at the service centre a day ahead and book the "
            "goods lift (8:00-20:00). Taking belongings out needs a release note signed by the "
            "owner, which the gate checks. Please protect the lift car with padding.",
        ),
    ),
    _article(
        "rubbish",
        "cleaning",
        "垃圾分类 垃圾 回收 rubbish garbage recycling bins",
        (
            "垃圾分类和投放时间",
            "垃圾分为厨余垃圾、可回收物、有害垃圾和其他垃圾四类。每天 7:00-9:00、18:00-21:00 定时"
            "投放到各栋楼下的分类投放点，其余时间请投到东门的误时投放点。废电池、过期药品请投红色"
            "有害垃圾桶。",
        ),
        (
            "Sorting rubbish and when to take it out",
            "Rubbish is sorted into food waste, recyclables, hazardous waste and residual waste. "
            "Take it to the sorting point by your building daily 7:00-9:00 or 18:00-21:00; at "
            "other times use the late drop-off point at the east gate. Batteries and old medicines "
            "go in the red hazardous bin.",
        ),
    ),
    _article(
        "bulky-waste",
        "cleaning",
        "大件垃圾 装修垃圾 家具 bulky waste debris furniture",
        (
            "旧家具和装修垃圾怎么处理",
            "旧沙发、床垫等大件垃圾请提前在 App 预约清运，放到指定的大件垃圾堆放点，不要堆在楼道。"
            "装修垃圾须装袋，由装修单位运到北门临时堆放点，按清运费标准收费。",
        ),
        (
            "Getting rid of old furniture and renovation debris",
            "Book a collection in the app for sofas, mattresses and other bulky items and leave "
            "them at the bulky waste point, never in the corridor. Renovation debris must be "
            "bagged and taken by your contractor to the temporary pile at the north gate; a "
            "removal fee applies.",
        ),
    ),
    _article(
        "access-card",
        "security",
        "门禁卡 人脸 补办 access card fob face recognition",
        (
            "门禁卡丢了怎么补办",
            "门禁卡遗失请尽快到物业服务中心挂失并补办，工本费 20 元，旧卡立即作废。每户最多 6 张卡；"
            "也可以带身份证录入人脸，刷脸进门和乘电梯。",
        ),
        (
            "Lost access card: replacing it or adding face entry",
            "If you lose your access card or fob, report it at the service centre and get a new "
            "one for CNY 20; the old card stops working at once. Each flat may have up to 6 cards. "
            "You can also register your face with your ID to open the doors and use the lifts.",
        ),
    ),
    _article(
        "water-outage",
        "plumbing",
        "停水 水压 通知 water outage supply pressure",
        (
            "计划停水和水压问题",
            "计划停水会提前 24 小时在 App、电梯公告和业主群通知。停水恢复后先放水几分钟再使用。"
            "如果只有您家没水或水压很低，可能是表前阀门或预付费水表余额问题，请先查看余额，再在 App "
            "报修。",
        ),
        (
            "Planned water cuts and low water pressure",
            "Planned water cuts are announced 24 hours ahead in the app, in the lifts and in the "
            "residents' group. When the water comes back, run the tap for a few minutes first. If "
            "only your flat has no water or low pressure, check your prepaid water meter balance "
            "and the valve before the meter, then report a repair in the app.",
        ),
    ),
    _article(
        "locked-out",
        "doors_windows",
        "钥匙 开锁 锁在门外 locked out keys locksmith",
        (
            "钥匙丢了或被锁在门外",
            "被锁在门外时请联系 24 小时值班电话，保安核实身份后可以协助联系小区认可的开锁公司，"
            "开锁费用由业主承担。物业不保管业主家的备用钥匙。智能门锁没电可用应急充电宝接口供电。",
        ),
        (
            "Locked out or lost your keys",
            "If you are locked out, call the 24-hour duty line: once security has checked who you "
            "are, they can call an approved locksmith, paid by you. The management does not keep "
            "spare keys to flats. A smart lock with a flat battery can be powered from its "
            "emergency USB port.",
        ),
    ),
    _article(
        "report-repair",
        "other",
        "报修 维修 收费 repair request charges",
        (
            "如何报修以及哪些维修收费",
            "在 App 或微信公众号提交报修，写清位置和问题并附照片，紧急情况（漏水、停电、困梯）请直接"
            "拨打值班电话。公共区域维修免费；户内设施维修只收材料费，人工费按公示标准收取。",
        ),
        (
            "How to report a repair, and what it costs",
            "Report a repair in the app or the WeChat account with where it is, what is wrong and "
            "a photo; for emergencies (a leak, a power cut, someone stuck in a lift) call the duty "
            "line. Repairs in shared areas are free; inside your flat you pay for parts and labour "
            "at the published rates.",
        ),
    ),
)
