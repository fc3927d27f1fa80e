"""The demo data set: three courts in different regions, their staff, cases, parties and lots.

Every lot names the state its round is brought to (see seed_demo.ROUND_STATES). The people and
companies are invented; ID numbers are generated with a valid check digit for that reason only.
"""

COURTS = [
    {
        "code": "京0105",
        "name": "北京市朝阳区人民法院",
        "province": "北京市",
        "region": "北京市朝阳区",
        "address": "北京市朝阳区东三环北路甲2号",
        "phone": "010-6501 0000",
        "panel": ["北京明诚资产评估有限公司", "北京正衡房地产土地评估有限公司", "北京华鉴价格评估有限公司"],
        "staff": [
            ("clerk1", "clerk", "刘书记", "010-6501 1201"),
            ("judge1", "judge", "陈法官", "010-6501 1101"),
        ],
    },
    {
        "code": "沪0115",
        "name": "上海市浦东新区人民法院",
        "province": "上海市",
        "region": "上海市浦东新区",
        "address": "上海市浦东新区丁香路611号",
        "phone": "021-5879 0000",
        "panel": ["上海信达房地产估价有限公司", "上海东亚资产评估有限公司", "上海立诚价格评估有限公司"],
        "staff": [
            ("clerk2", "clerk", "周书记", "021-5879 1202"),
            ("judge2", "judge", "吴法官", "021-5879 1102"),
        ],
    },
    {
        "code": "粤0305",
        "name": "深圳市南山区人民法院",
        "province": "广东省",
        "region": "广东省深圳市南山区",
        "address": "深圳市南山区南山大道2076号",
        "phone": "0755-2660 0000",
        "panel": ["深圳鹏信资产评估有限公司", "深圳华南房地产评估有限公司", "深圳中衡价格评估有限公司"],
        "staff": [
            ("clerk3", "clerk", "黄书记", "0755-2660 1203"),
            ("judge3", "judge", "林法官", "0755-2660 1103"),
        ],
    },
]

# Parties: (role, kind, name, id serial or None, phone, address, claim in yuan or None)
CASES = [
    {
        "court": "京0105",
        "number": "（2024）京0105执1523号",
        "cause": "金融借款合同纠纷",
        "filed_on": "2024-04-16",
        "parties": [
            ("applicant", "organisation", "北京朝阳农村商业银行股份有限公司望京支行", None, "", "", "2860000"),
            ("respondent", "person", "张伟", 101, "13911112222", "北京市朝阳区望京西园三区312号楼5单元602室", None),
            ("agent", "person", "赵敏律师", None, "13800001111", "", None),
        ],
        "lots": [
            {
                "key": "live_house",
                "category": "real_estate",
                "title": "北京市朝阳区望京西园三区住宅一套（89.56平方米）",
                "description": (
                    "建筑面积89.56平方米，钢混结构，共18层第6层，两室一厅一卫，南北通透，2006年建成。"
                    "不动产权证号：京（2019）朝阳区不动产权第0031234号，权利人张伟。"
                ),
                "location": "北京市朝阳区望京西园三区",
                "known_defects": "卫生间有渗水痕迹；厨房吊顶局部脱落。",
                "encumbrances": "已设定抵押，抵押权人为申请执行人；本院已查封。",
                "occupancy": "被执行人及其家属居住，法院负责腾退交付。",
                "reference": ("appraisal", "5680000"),
                "state": "live",
            },
            {
                "key": "live_car",
                "category": "vehicle",
                "title": "奔驰E300L轿车一辆",
                "description": (
                    "号牌京N8M627，2020年6月初次登记，黑色，行驶里程约6.2万公里，排量2.0T，自动挡。车辆登记证书、钥匙一把在案。"
                ),
                "location": "北京市朝阳区法院执行车辆停放场",
                "known_defects": "左后车门有刮擦；缺备用钥匙。",
                "encumbrances": "",
                "occupancy": "车辆已扣押于法院停车场。",
                "reference": ("online", "238000"),
                "state": "ending",
            },
        ],
    },
    {
        "court": "京0105",
        "number": "（2024）京0105执2210号",
        "cause": "民间借贷纠纷",
        "filed_on": "2024-07-02",
        "parties": [
            ("applicant", "person", "孙丽", 102, "13722223333", "北京市海淀区学院路20号院3号楼1门401", "650000"),
            ("respondent", "person", "李娜", 103, "13633334444", "北京市朝阳区建国路88号SOHO现代城5号楼1203室", None),
        ],
        "lots": [
            {
                "key": "announced_equity",
                "category": "equity",
                "title": "北京云帆信息科技有限公司30%股权",
                "description": (
                    "被执行人李娜持有北京云帆信息科技有限公司30%股权（认缴出资300万元，实缴150万元）。"
                    "公司主营软件开发，截至评估基准日净资产约820万元。"
                ),
                "location": "北京市朝阳区",
                "known_defects": "公司存在未决劳动争议两件。",
                "encumbrances": "股权已被本院冻结。",
                "occupancy": "",
                "reference": ("appraisal", "2150000"),
                "state": "announced",
            },
            {
                "key": "draft_paintings",
                "category": "other",
                "title": "红木家具一套（大红酸枝，共12件）",
                "description": "客厅沙发六件套、餐桌椅六件套，约2012年制作，整体保存良好。",
                "location": "北京市朝阳区法院涉案物品库",
                "known_defects": "餐椅一把扶手有裂纹。",
                "encumbrances": "",
                "occupancy": "已扣押于法院物品库。",
                "reference": ("agreed", "186000"),
                "state": "no_round",
            },
        ],
    },
    {
        "court": "沪0115",
        "number": "（2024）沪0115执3391号",
        "cause": "买卖合同纠纷",
        "filed_on": "2024-03-11",
        "parties": [
            ("applicant", "organisation", "上海申达建材有限公司", None, "", "", "4200000"),
            ("respondent", "organisation", "上海宏远贸易有限公司", None, "", "", None),
            ("respondent", "person", "王强", 104, "13544445555", "上海市浦东新区张杨路1500号7号楼903室", None),
        ],
        "lots": [
            {
                "key": "failed_shop",
                "category": "real_estate",
                "title": "上海市浦东新区张杨路商铺（建筑面积126.3平方米）",
                "description": "位于张杨路沿街一层，层高4.2米，临街面宽约9米，2010年建成，商业用途。",
                "location": "上海市浦东新区张杨路",
                "known_defects": "外立面招牌未拆除；部分消防设施需更新。",
                "encumbrances": "已抵押给第三人，拍卖后由本院依法涤除。",
                "occupancy": "现有租户，租期至2026年12月，租赁关系不随拍卖而解除的情况详见公告。",
                "reference": ("appraisal", "7350000"),
                "state": "failed",
            },
            {
                "key": "sold_tesla",
                "category": "vehicle",
                "title": "特斯拉Model 3 轿车一辆",
                "description": "号牌沪AD71K3，2021年登记，白色，后驱标准续航版，行驶里程约4.8万公里。",
                "location": "上海市浦东新区法院执行车辆停放场",
                "known_defects": "前保险杠有修补痕迹。",
                "encumbrances": "",
                "occupancy": "已扣押。",
                "reference": ("online", "152000"),
                "state": "sold",
            },
            {
                "key": "scheduled_land",
                "category": "land_use",
                "title": "上海市浦东新区康桥镇工业用地使用权（面积8,620平方米）",
                "description": (
                    "国有建设用地使用权，工业用途，出让年限50年，剩余年限约31年；"
                    "地上有厂房两栋（建筑面积约5,100平方米）。"
                ),
                "location": "上海市浦东新区康桥镇",
                "known_defects": "厂房屋面有渗漏。",
                "encumbrances": "已被两家法院轮候查封。",
                "occupancy": "厂房部分出租，租户须在交付前腾退。",
                "reference": ("appraisal", "26800000"),
                "state": "scheduled",
            },
        ],
    },
    {
        "court": "粤0305",
        "number": "（2025）粤0305执456号",
        "cause": "金融借款合同纠纷",
        "filed_on": "2025-01-08",
        "parties": [
            ("applicant", "organisation", "深圳前海微众融资租赁有限公司", None, "", "", "3100000"),
            ("respondent", "person", "陈静", 105, "13355556666", "深圳市南山区蛇口工业八路6号海湾花园2栋1706", None),
        ],
        "lots": [
            {
                "key": "suspended_flat",
                "category": "real_estate",
                "title": "深圳市南山区蛇口海湾花园住宅一套（76.2平方米）",
                "description": "建筑面积76.2平方米，三房一厅，1999年建成，带装修，朝南望海。",
                "location": "深圳市南山区蛇口工业八路",
                "known_defects": "",
                "encumbrances": "已抵押。",
                "occupancy": "空置。",
                "reference": ("directed", "6120000"),
                "state": "suspended",
            },
            {
                "key": "withdrawn_machines",
                "category": "other",
                "title": "数控加工中心等机器设备一批（共9台）",
                "description": "含立式加工中心4台、数控车床3台、空压机2台，2016年至2018年购置，可正常运行。",
                "location": "深圳市南山区西丽街道某工业园",
                "known_defects": "一台数控车床主轴异响。",
                "encumbrances": "",
                "occupancy": "存放于被执行人厂房。",
                "reference": ("online", "845000"),
                "state": "withdrawn",
            },
            {
                "key": "draft_bmw",
                "category": "vehicle",
                "title": "宝马X3 SUV一辆",
                "description": "号牌粤B5Q2R8，2019年登记，灰色，xDrive28i，行驶里程约9.1万公里。",
                "location": "深圳市南山区法院执行车辆停放场",
                "known_defects": "",
                "encumbrances": "",
                "occupancy": "已扣押。",
                "reference": ("online", "196000"),
                "state": "draft",
            },
            {
                "key": "draft_lot_only",
                "category": "land_use",
                "title": "深圳市南山区西丽工业用地使用权（待评估）",
                "description": "工业用途，面积约3,200平方米，评估正在进行中。",
                "location": "深圳市南山区西丽街道",
                "known_defects": "",
                "encumbrances": "已查封。",
                "occupancy": "",
                "reference": None,
                "state": "lot_only",
            },
        ],
    },
]
