"""Demo data for people trying AidCase: rural middle schools of one county in Guizhou, with
staff, classes, a full roster, category identifications and pairings for the current
semester and the one before.

Every kind of data has its own function and its own random stream (seeded from the run's
seed, the school code and the kind), so adding a kind later (scores, say) leaves what the
existing kinds generate for a given seed unchanged. The school calendar, the activity logs
(following the duty rules, with the uneven diligence of real teachers) and the incidents
came that way.
"""

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from math import ceil
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcase import history
from assessment.models import Score
from assessment.services import (
    questionnaire_answer,
    questionnaire_enter,
    questionnaires_issue,
    sheet_submit,
    sheets_compute,
)
from pairing.models import Pairing
from students import idcard
from students.models import (
    Category,
    Cohort,
    County,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Semester,
    Student,
)
from students.selectors import previous_semester_code, semester_code_for, today
from students.services import school_create, semester_create
from visits import duties
from visits.models import (
    ActivityLog,
    Channel,
    Exam,
    HolidayWeek,
    Incident,
    IncidentType,
    Kind,
    State,
)
from visits.selectors import calendar_for

User = get_user_model()

MAX_SCHOOLS = 200  # a whole county (~150 schools) and then some
MIN_STUDENTS, MAX_STUDENTS = 10, 5000
COUNTY_NAME = "示范县"
COUNTY_USERNAME = "county"
# A teacher helps at most this many students at once (一对多, within reason).
TEACHER_CAPACITY = 6
# Share of the semester's identified students left without a helper, so that the
# dashboards' "unpaired" figures have something to show.
UNPAIRED_SHARE = 0.05

GRADES = ("七年级", "八年级", "九年级")

SURNAMES = (
    "杨", "吴", "王", "张", "李", "刘", "陈", "龙", "石", "罗", "潘", "姚", "黄", "赵", "周",
    "胡", "田", "蒋", "杜", "欧", "彭", "谢", "邓", "徐", "孙", "马", "朱", "何", "宋", "梁",
    "韦", "冯", "唐", "雷", "袁", "付", "曹", "熊", "向", "吕",
)  # fmt: skip
# Common surnames come first and are drawn more often.
SURNAME_WEIGHTS = tuple(len(SURNAMES) + 8 - i for i in range(len(SURNAMES)))
BOY_CHARS = "浩宇俊杰鑫磊涛军强伟文明志远航博轩豪宏昊勇鹏飞超凯斌林波海松阳晨睿泽毅峰龙华兵江"
GIRL_CHARS = "婷雪丽敏静燕芳娟梅琳欣怡雨佳颖倩萍霞玲慧晓思梦瑶蕾露洁艳红云月妍琴兰莉楠菲诗悦彤"
SHARED_CHARS = "子思雨家梓俊欣佳嘉文明志春秋金玉天永国小"
MAN_CHARS = "德福贵生华明军国春学光正清忠平安富成林永发兴才顺"
WOMAN_CHARS = "秀英兰芬珍凤花桂金银荣美玉春梅翠琼芳丽萍红霞燕仙"

TOWNS = (
    "平寨镇", "高屯镇", "岩洞镇", "水口镇", "龙额镇", "坝寨乡", "茅贡镇", "尚重镇", "洪州镇",
    "德化乡", "双江镇", "九潮镇", "顺化乡", "地坪镇", "永从镇", "中潮镇", "口江乡", "大稼乡",
    "孟彦镇", "敖市镇", "罗里乡", "肇兴镇", "雷洞乡", "水尾镇", "德顺乡",
)  # fmt: skip
# A town's first school is its 中学, the next ones its 第二中学, 第三中学…: enough for
# MAX_SCHOOLS without two schools of one name.
SCHOOL_ORDINALS = ("", "第二", "第三", "第四", "第五", "第六", "第七", "第八")
VILLAGES = (
    "高坡", "岩脚", "大坪", "新寨", "坝子", "龙井", "石门", "板桥", "上寨", "下寨", "中寨",
    "洞头", "水井", "羊场", "马场", "田坝", "河边", "竹林", "松坪", "枫香", "杉木", "青山",
    "长坡", "红岩", "白岩", "岔河", "两河", "桥头", "凉水井", "黄泥", "老寨", "花桥",
)  # fmt: skip
# The county's own code first: most children are registered where they live.
REGION_CODES = ("522631", "522631", "522631", "522631", "522627", "522601", "520121", "520102")
WORKPLACES = (
    "广东东莞", "广东深圳", "广东佛山", "广东广州", "广东中山", "浙江宁波", "浙江温州",
    "浙江义乌", "浙江杭州", "福建晋江", "福建厦门", "江苏苏州", "上海", "贵州贵阳", "云南昆明",
)  # fmt: skip
PHONE_PREFIXES = (
    "138", "139", "151", "152", "157", "158", "178", "182", "183", "185", "187", "188", "198",
)  # fmt: skip

# Each subject appears in proportion to the periods it has in a rural middle school timetable.
TEACHER_SUBJECTS = (
    "语文", "数学", "英语", "语文", "数学", "英语", "物理", "道德与法治", "历史", "地理",
    "生物", "化学", "语文", "数学", "英语", "体育", "信息技术", "音乐", "美术", "道德与法治、历史",
)  # fmt: skip
# Subjects of difficulty for `struggling` pairings; "" is a student behind in most subjects,
# assessed on the total score.
STRUGGLING_SUBJECTS = ("数学", "英语", "语文", "物理", "")
STRUGGLING_WEIGHTS = (40, 32, 8, 8, 12)

# How likely each category is to be the one a student left since last semester: parents come
# home, grades recover, behaviour settles; a family's poverty status changes least often.
LEFT_CATEGORY_WEIGHTS = {
    Category.LEFT_BEHIND: 4,
    Category.POOR: 1,
    Category.STRUGGLING: 3,
    Category.PROBLEM: 2,
}

GOALS = {
    Category.LEFT_BEHIND: (
        "让学生感受到学校和老师的关爱，消除孤独感，情绪稳定；养成良好的学习和生活习惯，学习成绩稳中有升。",
        "帮助学生与在外务工的父母保持联系，增进亲子沟通；提高自理能力和安全意识，平安健康成长。",
        "关注学生心理健康，培养积极乐观的心态；在校遵规守纪，学期成绩不低于上学期水平。",
    ),
    Category.POOR: (
        "确保学生不因家庭经济困难而辍学，按时享受各项资助政策；增强自信心，安心学习。",
        "帮助学生解决学习和生活中的实际困难，树立自强自立的信心，顺利完成学业。",
    ),
    Category.STRUGGLING: (
        "{subject}成绩逐步提高，期末{subject}成绩与年级平均分的差距缩小；养成课前预习、课后复习的习惯。",
        "掌握{subject}基础知识和基本方法，按时独立完成{subject}作业；学习兴趣和信心明显增强。",
    ),
    Category.PROBLEM: (
        "逐步改正不良行为习惯，不旷课、不逃学，遵守校纪校规；与同学和睦相处。",
        "减少与同学的冲突，控制使用手机和网络游戏的时间；学会正确表达情绪，积极参加集体活动。",
    ),
}
STRUGGLING_GOALS_OVERALL = (
    "各科成绩均有进步，总分在年级中的位置有所提升；端正学习态度，按时完成作业。",
    "找到适合自己的学习方法，上课专心听讲，不懂就问；期末总分高于上学期。",
)
MEASURES = {
    Category.LEFT_BEHIND: (
        "每周与学生谈心一次，了解学习、生活、节假日安排和交友情况；每月与家长电话联系一次，"
        "汇报学生在校情况，并让学生与父母通话；每学期指导学生给父母写一封信；每年陪学生过一个节日。",
        "每周谈心一次，关注情绪变化；每月与在外务工的父母通一次电话，与监护人保持联系，指导家庭教育；"
        "每学期指导学生给父母写信一封；节假日前提醒安全事项，每年陪学生过一次节。",
    ),
    Category.POOR: (
        "每月与学生谈话一次，了解生活、学习情况和需要的帮助；每学期为学生提供一次物质帮助"
        "（衣物、学习用品或资金，记录物品和金额）；每学期家访一次，宣传资助政策。",
        "每月谈话一次，了解家庭近况；协助办理营养改善计划和寄宿生生活补助；每学期送一次学习用品或衣物并登记；"
        "每学期家访一次。",
    ),
    Category.STRUGGLING: (
        "每周辅导一次，包括面批面改作业；每次考试前帮助复习，考试后分析试卷、查找问题；"
        "每学期进行一次学习家访，并制定假期学习计划。",
        "每周利用晚自习辅导一次，面批作业、讲解错题；考前指导复习，考后一起分析试卷；"
        "每学期家访一次，与家长商定假期学习安排。",
    ),
    Category.PROBLEM: (
        "每周谈心一次（一次肯定、一次建议、一次期望）；每周与班主任、科任教师交流学生情况；"
        "每月与家长联系一次；每月进行一次进步评价和行为小结。",
        "每周谈心一次，及时肯定点滴进步；每周与班主任和科任教师沟通一次；每月与家长电话联系，"
        "共同约定手机使用规则；每月写一次行为小结。",
    ),
}


@dataclass(frozen=True)
class DemoAccount:
    """One login made by the demo: what it is for, and whose it is."""

    role: str
    username: str
    name: str
    school: str


@dataclass
class _Pupil:
    """A student slot before it is saved: who they are and what they were identified as."""

    entry_year: int
    school_class: SchoolClass
    male: bool
    in_previous: bool
    status: str = Student.Status.ENROLLED
    current: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    subject: str = ""
    student: Student | None = None


@dataclass
class _DemoSchool:
    """Everything generated for one school so far; each step adds to it."""

    seed: int
    school: School
    today: dt.date
    current: Semester
    previous: Semester
    password_hash: str
    size: int
    id_numbers: set[str]
    principal: Any = None
    office: Any = None
    teachers: list[Any] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)
    pupils: list[_Pupil] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)
    calendars: dict[int, duties.Calendar] = field(default_factory=dict)
    exam_names: dict[dt.date, str] = field(default_factory=dict)

    @property
    def first_year(self) -> int:
        return int(self.current.code[:4])

    @property
    def previous_term_same_year(self) -> bool:
        """In term 2 last semester was the same school year, so every cohort was here."""
        return self.current.code.endswith("-2")

    def rng(self, kind: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.school.code}:{kind}")  # noqa: S311 — demo data


def demo_school_codes(count: int) -> list[str]:
    return [f"DEMO{n}" for n in range(1, count + 1)]


@transaction.atomic
def demo_seed(
    *,
    schools: int,
    students_per_school: int,
    seed: int,
    password: str,
    on: dt.date | None = None,
) -> list[DemoAccount]:
    """Creates `schools` demo schools (DEMO1…DEMOn) in one county, each with
    `students_per_school` students, and the accounts to look at them: `county`, and per school
    `principal-<CODE>`, `office-<CODE>` and teachers by 工号, all with `password`. The same
    seed gives the same data; dates follow the day `on` (today by default), which sets the
    current semester. Refuses, writing nothing, when any of the codes or usernames is taken."""
    _check_arguments(schools=schools, students_per_school=students_per_school, password=password)
    codes = demo_school_codes(schools)
    _check_not_seeded(codes)
    # One hash for every account: hashing per user would take minutes for large runs.
    password_hash = make_password(password)
    county, _created = County.objects.get_or_create(name=COUNTY_NAME)
    accounts = [_create_county_viewer(county=county, password_hash=password_hash)]
    day = on or today()
    # ID numbers (and the 学籍号 made from them) must be unique across all the schools.
    id_numbers: set[str] = set()
    for index, code in enumerate(codes):
        demo = _create_school(
            index=index, code=code, seed=seed, day=day, size=students_per_school,
            password_hash=password_hash, id_numbers=id_numbers,
        )  # fmt: skip
        _create_staff(demo)
        _create_classes(demo)
        _plan_pupils(demo)
        _create_students(demo)
        _create_identifications(demo)
        _create_pairings(demo)
        _create_calendar(demo)
        _create_logs(demo)
        _create_incidents(demo)
        _create_scores(demo)
        _create_assessment(demo)
        accounts.extend(_accounts_of(demo))
    _record_history()
    return accounts


def _record_history() -> None:
    """Gives every tracked record made here (in bulk, which sends no signals) its "created"
    entry in the history, so that the first real change shows as a change of one field."""
    for model, _label, _path in history.KINDS.values():
        manager: Any = model.history  # type: ignore[attr-defined]
        fresh = model._default_manager.exclude(pk__in=manager.values("id")).order_by()
        manager.bulk_history_create(list(fresh), batch_size=1000, default_change_reason="演示数据")


def _check_arguments(*, schools: int, students_per_school: int, password: str) -> None:
    errors = []
    if not 1 <= schools <= MAX_SCHOOLS:
        errors.append(
            _("学校数量应在 1 到 %(max)s 之间（收到 %(value)s）")
            % {"max": MAX_SCHOOLS, "value": schools}
        )
    if not MIN_STUDENTS <= students_per_school <= MAX_STUDENTS:
        errors.append(
            _("每校学生人数应在 %(min)s 到 %(max)s 之间（收到 %(value)s）")
            % {"min": MIN_STUDENTS, "max": MAX_STUDENTS, "value": students_per_school}
        )
    if not password.strip():
        errors.append(_("密码不能为空"))
    if errors:
        raise ValidationError(errors)


def _check_not_seeded(codes: list[str]) -> None:
    taken_codes = list(School.objects.filter(code__in=codes).values_list("code", flat=True))
    fixed = [COUNTY_USERNAME] + [
        f"{role}-{code}" for code in codes for role in ("principal", "office")
    ]
    staff = Q(username__in=fixed)
    for code in codes:
        staff |= Q(username__startswith=f"{code}T")
    taken_users = list(User.objects.filter(staff).values_list("username", flat=True)[:5])
    if taken_codes or taken_users:
        raise ValidationError(
            _("演示数据已存在（%(taken)s），未写入任何数据；请在新的数据库中生成演示数据。")
            % {"taken": "、".join([*taken_codes, *taken_users])}
        )


def _create_county_viewer(*, county: County, password_hash: str) -> DemoAccount:
    user = User.objects.create(username=COUNTY_USERNAME, password=password_hash)
    name = _("%(county)s教育局") % {"county": county.name}
    Profile.objects.create(user=user, role=Role.COUNTY, county=county, name=name)
    return DemoAccount(role=str(Role.COUNTY.label), username=user.username, name=name, school="")


def _school_name(index: int) -> str:
    """Past the list of towns, a town gets its second school, then its third…"""
    town = TOWNS[index % len(TOWNS)]
    return f"{COUNTY_NAME}{town}{SCHOOL_ORDINALS[index // len(TOWNS)]}中学"


def _create_school(
    *,
    index: int,
    code: str,
    seed: int,
    day: dt.date,
    size: int,
    password_hash: str,
    id_numbers: set[str],
) -> _DemoSchool:
    school = school_create(code=code, name=_school_name(index), county_name=COUNTY_NAME)
    current_code = semester_code_for(day)
    current = semester_create(school=school, code=current_code)
    previous = semester_create(school=school, code=previous_semester_code(current_code))
    return _DemoSchool(
        seed=seed,
        school=school,
        today=day,
        current=current,
        previous=previous,
        password_hash=password_hash,
        size=size,
        id_numbers=id_numbers,
    )


def _create_staff(demo: _DemoSchool) -> None:
    """The principal, the aid office and the teachers: one per 12–13 students (about 40% of
    the students are aided, so a teacher has about five of them), and never fewer than the
    classes need homeroom teachers."""
    rng = demo.rng("staff")
    code = demo.school.code
    class_count = sum(count for _year, count in _class_layout(demo))
    teacher_count = max(class_count + 2, ceil(demo.size / rng.uniform(12, 13)))
    subjects = list(TEACHER_SUBJECTS[:6]) + rng.sample(
        TEACHER_SUBJECTS[6:], len(TEACHER_SUBJECTS) - 6
    )
    people = [
        (f"principal-{code}", Role.PRINCIPAL, "数学"),
        (f"office-{code}", Role.OFFICE, "道德与法治"),
        *(
            (f"{code}T{n:03d}", Role.TEACHER, subjects[(n - 1) % len(subjects)])
            for n in range(1, teacher_count + 1)
        ),
    ]
    users = [User(username=username, password=demo.password_hash) for username, _r, _s in people]
    User.objects.bulk_create(users)
    profiles = [
        Profile(
            user=user,
            role=role,
            school=demo.school,
            name=_adult_name(rng, male=rng.random() < 0.5),
            phone=_phone(rng),
            subjects=subject,
        )
        for user, (_u, role, subject) in zip(users, people, strict=True)
    ]
    Profile.objects.bulk_create(profiles)
    demo.principal, demo.office, *demo.teachers = users


def _class_layout(demo: _DemoSchool) -> list[tuple[int, int]]:
    """(entry year, class count) per cohort, for the last three entry years: 3–4 classes each
    at the usual sizes, more for big cohorts (about 55 a class), fewer for tiny demos."""
    rng = demo.rng("layout")
    sizes = _cohort_sizes(demo)
    layout = []
    for offset, cohort_size in enumerate(sizes):
        count = max(rng.choice((3, 4)), ceil(cohort_size / 55))
        layout.append((demo.first_year - offset, min(count, max(1, cohort_size // 10))))
    return layout


def _cohort_sizes(demo: _DemoSchool) -> list[int]:
    """Students per cohort, youngest first; the oldest cohort has lost a few to dropping out
    and migration, so it is a little smaller."""
    rng = demo.rng("cohorts")
    base, extra = divmod(demo.size, 3)
    sizes = [base + (1 if i < extra else 0) for i in range(3)]
    moved = rng.randint(0, demo.size // 30)
    sizes[0] += moved
    sizes[2] -= moved
    return sizes


def _create_classes(demo: _DemoSchool) -> None:
    """Cohorts and classes named for the current school year (七年级(1)班…), each with one of
    the teachers as homeroom teacher."""
    layout = _class_layout(demo)
    cohorts = Cohort.objects.bulk_create(
        [Cohort(school=demo.school, entry_year=entry_year) for entry_year, _count in layout]
    )
    homeroom = iter(demo.teachers)
    classes = [
        SchoolClass(
            school=demo.school,
            cohort=cohort,
            name=f"{GRADES[demo.first_year - cohort.entry_year]}({n})班",
            homeroom_teacher=next(homeroom),
        )
        for cohort, (_year, count) in zip(cohorts, layout, strict=True)
        for n in range(1, count + 1)
    ]
    demo.classes = SchoolClass.objects.bulk_create(classes)


def _plan_pupils(demo: _DemoSchool) -> None:
    """Who is in which class, and which categories each student was identified in, this
    semester and last; then a few adjustments so that every school shows every case."""
    rng = demo.rng("pupils")
    sizes = _cohort_sizes(demo)
    for offset, cohort_size in enumerate(sizes):
        entry_year = demo.first_year - offset
        classes = [c for c in demo.classes if c.cohort.entry_year == entry_year]
        in_previous = demo.previous_term_same_year or offset > 0
        for n in range(cohort_size):
            pupil = _Pupil(
                entry_year=entry_year,
                school_class=classes[n % len(classes)],
                male=rng.random() < 0.52,
                in_previous=in_previous,
            )
            pupil.current = _draw_categories(rng)
            if in_previous:
                pupil.previous = _previous_categories(rng, pupil.current)
                if rng.random() < 0.015:
                    pupil.status = Student.Status.TRANSFERRED
                    pupil.previous = pupil.previous or _draw_categories(rng)
                    pupil.current = []
            if pupil.status == Student.Status.ENROLLED and rng.random() < 0.005:
                pupil.status = Student.Status.SUSPENDED
            demo.pupils.append(pupil)
    _ensure_every_case(demo, rng)
    for pupil in demo.pupils:
        if Category.STRUGGLING in pupil.current or Category.STRUGGLING in pupil.previous:
            subjects = [
                s for s in STRUGGLING_SUBJECTS if s != "物理" or pupil.entry_year < demo.first_year
            ]
            weights = [
                w
                for s, w in zip(STRUGGLING_SUBJECTS, STRUGGLING_WEIGHTS, strict=True)
                if s in subjects
            ]
            pupil.subject = rng.choices(subjects, weights)[0]


def _draw_categories(rng: random.Random) -> list[str]:
    """About 25% left-behind, 12% poor, 10% struggling and 3% problem students, with the
    overlaps seen in practice: left-behind children are more often poor and behind at school,
    and problem behaviour goes with falling behind."""
    left_behind = rng.random() < 0.25
    poor = rng.random() < (0.20 if left_behind else 0.093)
    struggling = rng.random() < (0.14 if left_behind else 0.087)
    problem = rng.random() < (0.12 if struggling else 0.02)
    flags = (left_behind, poor, struggling, problem)
    return [category.value for category, flag in zip(Category, flags, strict=True) if flag]


def _previous_categories(rng: random.Random, current: list[str]) -> list[str]:
    """Last semester's categories: mostly the same, a few identified only since, a few left."""
    previous = list(current)
    if previous and rng.random() < 0.05:
        previous.remove(rng.choice(previous))
    # A student in all four categories now has none left to have been in only last semester.
    options = [c for c in LEFT_CATEGORY_WEIGHTS if c not in current]
    if rng.random() < 0.05 and options:
        left = rng.choices(options, [LEFT_CATEGORY_WEIGHTS[c] for c in options])[0]
        previous.append(left.value)
    return _in_category_order(previous)


def _in_category_order(categories: Iterable[str]) -> list[str]:
    chosen = set(categories)
    return [c.value for c in Category if c.value in chosen]


def _ensure_every_case(demo: _DemoSchool, rng: random.Random) -> None:
    """Small schools may lack a case by chance; this makes sure each school has every
    category, a student in several, and a student who left a category since last semester."""
    enrolled = [p for p in demo.pupils if p.status == Student.Status.ENROLLED]
    for category in Category:
        if not any(category in p.current for p in enrolled):
            pupil = rng.choice(enrolled)
            pupil.current = _in_category_order([*pupil.current, category])
    if not any(len(p.current) > 1 for p in enrolled):
        pupil = rng.choice([p for p in enrolled if p.current])
        extra = next(c for c in (Category.POOR, Category.LEFT_BEHIND) if c not in pupil.current)
        pupil.current = _in_category_order([*pupil.current, extra])
    returning = [p for p in enrolled if p.in_previous and len(p.current) < len(Category)]
    if returning and not any(set(p.previous) - set(p.current) for p in returning):
        pupil = rng.choice(returning)
        left = next(c for c in LEFT_CATEGORY_WEIGHTS if c not in pupil.current)
        pupil.previous = _in_category_order([*pupil.previous, left])


def _create_students(demo: _DemoSchool) -> None:
    """The roster: names, birth dates that fit the cohort (12–15 years old), ID numbers with
    the birth date and a valid check digit, guardians and home details that fit the family
    (left-behind children live with grandparents while the parents work far away)."""
    rng = demo.rng("students")
    school_town = _town_of(demo.school)
    students = []
    for number, pupil in enumerate(demo.pupils, start=1):
        surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        name = surname + _given_name(rng, male=pupil.male)
        # A late start would make a 九年级 student 16: only the younger cohorts have late starters.
        late = pupil.entry_year > demo.first_year - 2 and rng.random() < 0.05
        birth = _birth_date(rng, entry_year=pupil.entry_year, late=late)
        id_number = _id_number(rng, birth=birth, male=pupil.male, taken=demo.id_numbers)
        guardian_name, relation = _guardian(rng, surname=surname, left_behind=_left_behind(pupil))
        town = school_town if rng.random() < 0.8 else rng.choice(TOWNS)
        students.append(
            Student(
                school=demo.school,
                # A school-issued number: the national "G" + ID form would print the ID
                # number in full wherever the 学籍号 is shown, defeating its masking.
                student_no=f"{demo.school.code}{pupil.entry_year}{number:04d}",
                name=name,
                gender=Student.Gender.MALE if pupil.male else Student.Gender.FEMALE,
                birth_date=birth,
                id_number=id_number,
                cohort=pupil.school_class.cohort,
                school_class=pupil.school_class,
                guardian_name=guardian_name,
                guardian_relation=relation,
                guardian_phone=_phone(rng),
                address=f"贵州省{COUNTY_NAME}{town}{rng.choice(VILLAGES)}村{rng.randint(1, 12)}组",
                parents_workplace=_workplace(rng, left_behind=_left_behind(pupil)),
                boarding=rng.random() < (0.75 if town != school_town else 0.55),
                status=pupil.status,
                # A transferred student left when their pairings ended: at the end of last term.
                left_on=demo.previous.end if pupil.status == Student.Status.TRANSFERRED else None,
            )
        )
    Student.objects.bulk_create(students)
    for pupil, student in zip(demo.pupils, students, strict=True):
        pupil.student = student


def _left_behind(pupil: _Pupil) -> bool:
    return Category.LEFT_BEHIND in pupil.current or Category.LEFT_BEHIND in pupil.previous


def _town_of(school: School) -> str:
    return next((town for town in TOWNS if town in school.name), TOWNS[0])


def _given_name(rng: random.Random, *, male: bool) -> str:
    own = BOY_CHARS if male else GIRL_CHARS
    if rng.random() < 0.3:
        return rng.choice(own)
    first = rng.choice(SHARED_CHARS + own)
    return first + rng.choice(own.replace(first, ""))


def _adult_name(rng: random.Random, *, male: bool, surname: str = "") -> str:
    surname = surname or rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    own = (MAN_CHARS + BOY_CHARS) if male else (WOMAN_CHARS + GIRL_CHARS)
    if rng.random() < 0.25:
        return surname + rng.choice(own)
    return surname + rng.choice(own) + rng.choice(own)


def _birth_date(rng: random.Random, *, entry_year: int, late: bool) -> dt.date:
    """Children enter 七年级 the September after they turn 12 (born September to August), or a
    year later when they started school late."""
    start = dt.date(entry_year - (14 if late else 13), 9, 1)
    return start + dt.timedelta(days=rng.randrange(365))


def _id_number(rng: random.Random, *, birth: dt.date, male: bool, taken: set[str]) -> str:
    """GB 11643: region, birth date, a sequence whose last digit is odd for boys and even for
    girls, then the check character."""
    while True:
        sequence = rng.randrange(100) * 10 + rng.randrange(5) * 2 + (1 if male else 0)
        first17 = f"{rng.choice(REGION_CODES)}{birth:%Y%m%d}{sequence:03d}"
        number = first17 + idcard.check_char(first17)
        if number not in taken:
            taken.add(number)
            return number


def _guardian(rng: random.Random, *, surname: str, left_behind: bool) -> tuple[str, str]:
    if left_behind:
        relation = rng.choices(
            ("祖父", "祖母", "外祖父", "外祖母", "叔叔", "姑姑"), (34, 36, 8, 12, 5, 5)
        )[0]
    else:
        relation = rng.choices(("母亲", "父亲", "祖母", "祖父"), (50, 38, 8, 4))[0]
    male = relation in ("祖父", "外祖父", "叔叔", "父亲")
    # Children take the father's surname: his side of the family shares it.
    same_surname = relation in ("祖父", "叔叔", "父亲", "姑姑")
    return _adult_name(rng, male=male, surname=surname if same_surname else ""), relation


def _workplace(rng: random.Random, *, left_behind: bool) -> str:
    if left_behind:
        return rng.choice(WORKPLACES)
    if rng.random() < 0.25:
        return f"{rng.choice(WORKPLACES)}（{rng.choice(('父亲', '母亲'))}）"
    return ""


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _create_identifications(demo: _DemoSchool) -> None:
    """Approved identifications for both semesters, proposed by the homeroom teacher and
    approved by the aid office within the first weeks of the term (动态管理)."""
    rng = demo.rng("identifications")
    identifications = []
    for semester, attribute in ((demo.previous, "previous"), (demo.current, "current")):
        for pupil in demo.pupils:
            for category in getattr(pupil, attribute):
                approved_on = _approved_on(demo, semester, rng)
                source, note = _source_and_note(rng, pupil=pupil, category=category)
                identifications.append(
                    Identification(
                        student=pupil.student,
                        semester=semester,
                        category=category,
                        source=source,
                        state=Identification.State.APPROVED,
                        note=note,
                        proposed_by=pupil.school_class.homeroom_teacher,
                        approved_by=demo.office,
                        approved_at=_moment(approved_on, hour=rng.randint(9, 17)),
                    )
                )
    Identification.objects.bulk_create(identifications)


def _approved_on(demo: _DemoSchool, semester: Semester, rng: random.Random) -> dt.date:
    return min(demo.today, semester.start + dt.timedelta(days=rng.randint(7, 20)))


def _moment(day: dt.date, *, hour: int) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    return min(moment, timezone.now())


def _source_and_note(rng: random.Random, *, pupil: _Pupil, category: str) -> tuple[str, str]:
    source = Identification.Source
    if category == Category.POOR:
        chosen = rng.choices(
            (source.REGISTERED_POOR, source.SUBSISTENCE, source.SCHOOL), (55, 30, 15)
        )[0]
        notes = {
            source.REGISTERED_POOR: "建档立卡脱贫户，享受营养改善计划和寄宿生生活补助",
            source.SUBSISTENCE: "家庭享受农村最低生活保障",
            source.SCHOOL: "家庭人口多、收入低，父亲因病不能务工，经班级和学校评议认定",
        }
        return chosen, notes[chosen]
    if category == Category.LEFT_BEHIND:
        return source.SCHOOL, rng.choice(
            (
                "父母均在外省务工，由祖辈监护",
                "父母常年在外务工，每年春节回家一次",
                "父亲外出务工，母亲离家，由祖辈照顾",
            )
        )
    if category == Category.STRUGGLING:
        if pupil.subject:
            return source.SCHOOL, f"近两次考试{pupil.subject}成绩不及格，低于年级平均分的六成"
        return source.SCHOOL, "多科成绩在年级后10%，学习习惯较差"
    return source.SCHOOL, rng.choice(
        (
            "多次违反校纪，沉迷手机游戏",
            "厌学情绪明显，曾与同学发生冲突",
            "性格孤僻，不愿与人交流，有逃课现象",
        )
    )


def _create_pairings(demo: _DemoSchool) -> None:
    """Pairings for the identifications: continuing ones started last semester, new ones this
    semester, some left without a helper yet; those who left a category (or the school) have
    last semester's pairing ended with the reason. Teachers help up to six students, and a
    student in two categories often has two different helpers."""
    rng = demo.rng("pairings")
    assigner = _Assigner(demo=demo, rng=rng)
    tracks = [
        (i, p, c)
        for i, p in enumerate(demo.pupils)
        for c in _in_category_order([*p.previous, *p.current])
    ]
    unpaired = _choose_unpaired(demo, rng, tracks)
    # Students in several categories first, while every teacher can still take them.
    order = sorted(
        range(len(demo.pupils)), key=lambda i: (-len(demo.pupils[i].current), rng.random())
    )
    rank = {index: position for position, index in enumerate(order)}
    tracks.sort(key=lambda track: rank[track[0]])
    for index, pupil, category in tracks:
        was, still = category in pupil.previous, category in pupil.current
        if (index, category) in unpaired:
            if was:
                # The helper of last semester left the school over the holidays.
                start = _pairing_start(demo, demo.previous, rng)
                pairing = _pairing(demo, rng, pupil, category, rng.choice(demo.teachers), start)
                pairing.end, pairing.end_reason = demo.previous.end, Pairing.EndReason.OTHER
                demo.pairings.append(pairing)
            continue
        if was and still:
            teacher = assigner.open_for(index, pupil, category)
            start = _pairing_start(demo, demo.previous, rng)
            if rng.random() < 0.04:
                _add_teacher_change(demo, rng, pupil, category, successor=teacher, start=start)
                continue
            demo.pairings.append(_pairing(demo, rng, pupil, category, teacher, start))
        elif was:
            reason = (
                Pairing.EndReason.TRANSFERRED
                if pupil.status == Student.Status.TRANSFERRED
                else Pairing.EndReason.LEFT_CATEGORY
            )
            start = _pairing_start(demo, demo.previous, rng)
            end = demo.previous.end
            if reason == Pairing.EndReason.TRANSFERRED:
                end -= dt.timedelta(days=rng.randint(0, 40))
            pairing = _pairing(demo, rng, pupil, category, rng.choice(demo.teachers), start)
            pairing.end, pairing.end_reason = end, reason
            demo.pairings.append(pairing)
        else:
            teacher = assigner.open_for(index, pupil, category)
            start = _pairing_start(demo, demo.current, rng)
            demo.pairings.append(_pairing(demo, rng, pupil, category, teacher, start))
    Pairing.objects.bulk_create(demo.pairings)


def _choose_unpaired(
    demo: _DemoSchool, rng: random.Random, tracks: list[tuple[int, _Pupil, str]]
) -> set[tuple[int, str]]:
    """About 5% of this semester's identifications, taken from the newly identified first
    (they are the ones still waiting for a helper); in term 2 there may be too few of them,
    and then some students lost last semester's helper."""
    current = [(i, c) for i, p, c in tracks if c in p.current]
    new = [(i, c) for i, p, c in tracks if c in p.current and c not in p.previous]
    wanted = round(UNPAIRED_SHARE * len(current)) or (1 if len(current) >= 10 else 0)
    chosen = rng.sample(new, min(wanted, len(new)))
    continuing = [track for track in current if track not in new]
    chosen += rng.sample(continuing, min(wanted - len(chosen), len(continuing)))
    return set(chosen)


def _pairing_start(demo: _DemoSchool, semester: Semester, rng: random.Random) -> dt.date:
    return min(
        demo.today, _approved_on(demo, semester, rng) + dt.timedelta(days=rng.randint(0, 10))
    )


def _add_teacher_change(
    demo: _DemoSchool,
    rng: random.Random,
    pupil: _Pupil,
    category: str,
    *,
    successor: Any,
    start: dt.date,
) -> None:
    """A helper who left the pairing early this semester, replaced by another teacher."""
    predecessor = rng.choice([t for t in demo.teachers if t is not successor])
    handover = min(demo.today, demo.current.start + dt.timedelta(days=rng.randint(0, 14)))
    ended = _pairing(demo, rng, pupil, category, predecessor, start)
    ended.end, ended.end_reason = handover, Pairing.EndReason.TEACHER_CHANGE
    demo.pairings.append(ended)
    demo.pairings.append(_pairing(demo, rng, pupil, category, successor, handover))


def _pairing(
    demo: _DemoSchool,
    rng: random.Random,
    pupil: _Pupil,
    category: str,
    teacher: Any,
    start: dt.date,
) -> Pairing:
    subject = pupil.subject if category == Category.STRUGGLING else ""
    goals = GOALS[Category(category)]
    if category == Category.STRUGGLING and not subject:
        goals = STRUGGLING_GOALS_OVERALL
    return Pairing(
        school=demo.school,
        teacher=teacher,
        student=pupil.student,
        category=category,
        subject=subject,
        start=start,
        goals=rng.choice(goals).format(subject=subject),
        measures=rng.choice(MEASURES[Category(category)]),
        created_by=demo.office,
    )


class _Assigner:
    """Chooses helpers for open pairings, keeping each teacher at six students or fewer."""

    def __init__(self, *, demo: _DemoSchool, rng: random.Random) -> None:
        self.demo = demo
        self.rng = rng
        self.load: dict[int, set[int]] = {t.pk: set() for t in demo.teachers}
        self.helpers: dict[int, list[Any]] = {}
        self.two_helpers_seen = False

    def open_for(self, index: int, pupil: _Pupil, category: str) -> Any:
        helpers = self.helpers.setdefault(index, [])
        if helpers:
            # 多帮一: at least one student surely gets a second helper.
            if self.two_helpers_seen and self.rng.random() < 0.5:
                teacher = helpers[0]
            else:
                teacher = self._choose(pupil, category, avoid=helpers)
                self.two_helpers_seen = self.two_helpers_seen or teacher not in helpers
        else:
            teacher = self._choose(pupil, category, avoid=[])
        if teacher not in helpers:
            helpers.append(teacher)
        self.load[teacher.pk].add(index)
        return teacher

    def _choose(self, pupil: _Pupil, category: str, *, avoid: list[Any]) -> Any:
        others = [t for t in self.demo.teachers if t not in avoid] or self.demo.teachers
        free = [t for t in others if len(self.load[t.pk]) < TEACHER_CAPACITY] or others
        if category == Category.STRUGGLING and pupil.subject:
            # A teacher of the subject tutors it best.
            by_subject = [t for t in free if pupil.subject in t.profile.subjects]
            free = by_subject or free
        homeroom = pupil.school_class.homeroom_teacher
        if (
            category in (Category.LEFT_BEHIND, Category.PROBLEM)
            and homeroom in free
            and self.rng.random() < 0.35
        ):
            return homeroom
        lightest = min(len(self.load[t.pk]) for t in free)
        return self.rng.choice([t for t in free if len(self.load[t.pk]) <= lightest + 1])


def _accounts_of(demo: _DemoSchool) -> list[DemoAccount]:
    homeroom = {c.homeroom_teacher.pk: c.name for c in demo.classes if c.homeroom_teacher}
    accounts = []
    for user in [demo.principal, demo.office, *demo.teachers]:
        profile = user.profile
        role = str(Role(profile.role).label)
        if user.pk in homeroom:
            role = _("%(role)s（%(class)s班主任）") % {"role": role, "class": homeroom[user.pk]}
        accounts.append(
            DemoAccount(
                role=role, username=user.username, name=profile.name, school=demo.school.name
            )
        )
    return accounts


# --- The school calendar ---------------------------------------------------------------------

# Lunar festivals move every year: (month, day) of 春节, 中秋节 and 端午节. Past the table the
# demo uses typical dates.
SPRING_FESTIVAL = {
    2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29),
    2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23),
    2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
}  # fmt: skip
MID_AUTUMN = {
    2020: (10, 1), 2021: (9, 21), 2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6),
    2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12), 2031: (10, 1),
    2032: (9, 19), 2033: (9, 8), 2034: (9, 27), 2035: (9, 16),
}  # fmt: skip
DRAGON_BOAT = {
    2020: (6, 25), 2021: (6, 14), 2022: (6, 3), 2023: (6, 22), 2024: (6, 10), 2025: (5, 31),
    2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16), 2030: (6, 5), 2031: (6, 24),
    2032: (6, 12), 2033: (6, 1), 2034: (6, 20), 2035: (6, 10),
}  # fmt: skip
MIDTERM = "期中考试"
FINAL = "期末考试"
ONE_DAY = dt.timedelta(days=1)


def _lunar(table: dict[int, tuple[int, int]], year: int, usual: tuple[int, int]) -> dt.date:
    month, day = table.get(year, usual)
    return dt.date(year, month, day)


def _spring_festival(year: int) -> dt.date:
    return _lunar(SPRING_FESTIVAL, year, (2, 5))


def _festivals(semester: Semester) -> list[tuple[dt.date, str]]:
    """The festivals a teacher may spend with a left-behind student in a semester."""
    days = []
    for year in sorted({semester.start.year, semester.end.year}):
        spring = _spring_festival(year)
        days += [
            (dt.date(year, 1, 1), "元旦"),
            (spring, "春节"),
            (spring + dt.timedelta(days=14), "元宵节"),
            (_lunar(DRAGON_BOAT, year, (6, 10)), "端午节"),
            (_lunar(MID_AUTUMN, year, (9, 20)), "中秋节"),
            (dt.date(year, 10, 1), "国庆节"),
        ]
    return sorted((day, name) for day, name in days if semester.contains(day))


def _teaching_week(semester: Semester, number: int) -> dt.date:
    """The Monday of the semester's week `number` (week 1 holds the first weekday)."""
    first = duties.monday_of(semester.start)
    if semester.start.weekday() >= 5:
        first += dt.timedelta(days=7)
    return first + dt.timedelta(days=7 * (number - 1))


def _create_calendar(demo: _DemoSchool) -> None:
    """Both semesters' holiday weeks (National Day or 劳动节, 春节 when it falls in term, the
    mid-term exam week) and exams: a 月考 or two, 期中考试 in week 9–10, 期末考试 in the last
    two weeks. Weekly duties are not owed in holiday weeks; exam guidance falls due around
    each exam."""
    rng = demo.rng("calendar")
    holidays: dict[dt.date, str] = {}
    exams: list[Exam] = []
    for semester in (demo.previous, demo.current):
        if semester.code.endswith("-1"):
            holidays.setdefault(duties.monday_of(dt.date(semester.start.year, 10, 1)), "国庆节")
        else:
            holidays.setdefault(duties.monday_of(dt.date(semester.end.year, 5, 1)), "劳动节")
        for year in {semester.start.year, semester.end.year}:
            spring = _spring_festival(year)
            if semester.contains(spring):
                holidays.setdefault(duties.monday_of(spring), "春节")
        midterm_week = _teaching_week(semester, rng.choice((9, 10)))
        while midterm_week in holidays:
            midterm_week += dt.timedelta(days=7)
        holidays[midterm_week] = "期中考试周"
        days = [(midterm_week + dt.timedelta(days=rng.choice((2, 3))), MIDTERM)]
        last_days = [
            semester.end - dt.timedelta(days=n)
            for n in range(14)
            if (semester.end - dt.timedelta(days=n)).weekday() < 5
        ]
        final = rng.choice(last_days)
        days.append((final, FINAL))
        # After the final exams the students go home: weekly duties are not owed.
        monday = duties.monday_of(final) + dt.timedelta(days=7)
        while monday <= semester.end:
            holidays.setdefault(monday, "期末考试后放假")
            monday += dt.timedelta(days=7)
        monthly = [("第一次月考", (5, 6)), ("第二次月考", (14, 15))]
        for name, weeks in monthly[: rng.choice((1, 1, 2))]:
            monday = _teaching_week(semester, rng.choice(weeks))
            if monday not in holidays and rng.random() < 0.85:
                days.append((monday + dt.timedelta(days=rng.choice((3, 4))), name))
        for day, name in sorted(days):
            if semester.contains(day):
                exams.append(Exam(school=demo.school, semester=semester, name=name, date=day))
    HolidayWeek.objects.bulk_create(
        [HolidayWeek(school=demo.school, monday=m, note=n) for m, n in sorted(holidays.items())]
    )
    Exam.objects.bulk_create(exams)
    demo.exam_names = {exam.date: exam.name for exam in exams}
    demo.calendars = {s.pk: calendar_for(semester=s) for s in (demo.previous, demo.current)}


# --- Activity logs ---------------------------------------------------------------------------

# Share of teachers who keep up with half of their duties only.
SLOPPY_SHARE = 0.12
# Of the logs, about this share was entered twice and the copy withdrawn.
WITHDRAWN_SHARE = 0.005
WITHDRAWN_REASONS = (
    "重复录入",
    "重复录入",
    "重复录入，保留前一条",
    "日期填写错误，已重新录入",
    "内容未写完误点提交，已重新录入",
)
# Mon…Sun: school-day activities, home visits (mostly weekends) and calls to parents who work
# far away (evenings, any day).
WEEKDAY_WEIGHTS = {
    "school": (10, 10, 10, 10, 8, 0, 1),
    "home": (1, 1, 1, 1, 3, 10, 8),
    "call": (5, 5, 5, 5, 6, 6, 8),
}
KIND_STYLE = {Kind.HOME_VISIT: "home", Kind.PARENT_CONTACT: "call"}
DURATIONS = {
    Kind.TALK: (15, 40),
    Kind.PARENT_CONTACT: (8, 25),
    Kind.HOME_VISIT: (60, 150),
    Kind.TUTORING: (30, 60),
    Kind.EXAM_GUIDANCE: (30, 50),
    Kind.MATERIAL_AID: (15, 30),
    Kind.LETTER: (30, 45),
    Kind.FESTIVAL: (60, 180),
    Kind.EXCHANGE: (10, 20),
    Kind.PROGRESS_REVIEW: (20, 40),
    Kind.OTHER: (20, 90),
}
# Where a pairing's student starts (0 poor, 1 fair, 2 good): study, life, mood.
BASE_STATES = {
    Category.LEFT_BEHIND: (1.2, 1.3, 1.0),
    Category.POOR: (1.2, 0.9, 1.2),
    Category.STRUGGLING: (0.4, 1.4, 1.2),
    Category.PROBLEM: (0.5, 1.2, 0.7),
}
SPOKEN_RELATION = {
    "祖父": "爷爷", "祖母": "奶奶", "外祖父": "外公", "外祖母": "外婆", "父亲": "爸爸",
    "母亲": "妈妈", "叔叔": "叔叔", "姑姑": "姑姑",
}  # fmt: skip
MAIN_SUBJECTS = ("语文", "数学", "英语", "物理")
# Topics by subject and grade (七、八、九年级).
TOPICS = {
    "数学": (
        ("有理数的混合运算", "一元一次方程的解法", "整式的加减", "线段和角", "一元一次方程应用题"),
        ("全等三角形的判定", "轴对称与等腰三角形", "分式的运算", "勾股定理", "一次函数的图像"),
        ("一元二次方程的解法", "二次函数的图像与性质", "圆的切线", "相似三角形", "锐角三角函数"),
    ),
    "英语": (
        ("一般现在时", "There be 句型", "Unit 4 单词和短语", "名词复数", "介词 in/on/at"),
        ("一般过去时", "形容词比较级和最高级", "一般将来时", "Unit 3 阅读理解", "情态动词"),
        ("现在完成时", "宾语从句", "被动语态", "阅读理解的答题方法", "书面表达的结构"),
    ),
    "语文": (
        ("记叙文阅读", "《论语》十二章的背诵", "病句修改", "作文的审题立意", "古诗词默写"),
        ("说明文阅读", "《桃花源记》的实词", "作文的开头和结尾", "《红星照耀中国》", "古诗词默写"),
        ("议论文阅读", "《岳阳楼记》的背诵和翻译", "作文的选材", "文言文阅读", "名著阅读"),
    ),
    "物理": (
        ("机械运动", "声现象", "光的反射"),
        ("光的折射和透镜", "压强的计算", "浮力", "机械效率"),
        ("比热容和内能", "欧姆定律", "电功率的计算", "串联和并联电路"),
    ),
}  # fmt: skip

STUDY_NOTES = {
    State.GOOD: (
        "{subject}课上能主动举手发言，作业完成得比较认真",
        "这段时间学习态度端正，{subject}小测验成绩有进步",
        "能按时完成各科作业，书写比以前工整",
    ),
    State.FAIR: (
        "作业基本能按时完成，但{subject}错题较多",
        "上课能听讲，但不太敢问问题，{subject}基础比较薄弱",
        "学习比较被动，需要老师督促才完成作业",
    ),
    State.POOR: (
        "上课注意力不集中，{subject}作业本周有两次没交",
        "{subject}单元测验不及格，自己也有些泄气",
        "晚自习常常发呆，作业拖拉",
    ),
}
LIFE_NOTES = {
    State.GOOD: (
        "生活能自理，按时吃饭、就寝",
        "个人卫生保持得好，和室友相处融洽",
        "天冷了知道添衣服，身体状况良好",
    ),
    State.FAIR: (
        "衣服有时没洗干净，内务需要提醒",
        "早饭有时不吃，已提醒按时吃饭",
        "零花钱不太会安排，月底常常不够用",
    ),
    State.POOR: (
        "天气转凉了衣服仍穿得单薄",
        "这几天感冒咳嗽，精神不太好",
        "说晚上睡不着，白天上课打瞌睡",
    ),
}
MOOD_NOTES = {
    State.GOOD: (
        "情绪稳定，精神状态不错",
        "比以前开朗了，说话时一直带着笑",
        "主动说起最近的开心事，交流很顺畅",
    ),
    State.FAIR: (
        "情绪总体平稳，但话不多",
        "有些拘谨，问一句答一句",
        "说最近有点累，心情一般",
    ),
    State.POOR: (
        "情绪有些低落，交流时几次沉默",
        "显得心事重重，说最近心里烦",
        "眼睛红红的，说和同学闹了矛盾",
    ),
}
ADVICE = (
    "鼓励其遇到困难及时找老师",
    "叮嘱按时吃饭、注意保暖",
    "建议每天睡前把当天所学内容回顾一遍",
    "表扬了本周按时完成作业，希望继续保持",
    "提醒周末回家注意交通安全，不到河边玩水",
    "约定下周再聊聊学习计划的落实情况",
)
FOLLOW_UPS = (
    "下周了解与父母通话情况",
    "关注睡眠情况，与宿管老师沟通",
    "请班主任留意其情绪变化",
    "下次辅导检查错题订正情况",
    "跟进作业完成情况",
    "与家长沟通周末在家的手机使用",
    "期中考试后再看成绩变化",
    "下周检查学习计划执行情况",
)
TALK_OPENINGS = (
    "课间在办公室与{who}谈心",
    "晚自习前约{who}在操场边散步谈心",
    "午饭后和{who}在教室外的走廊聊了一会儿",
    "放学前与{who}谈心",
    "利用大课间与{who}交流",
)
LEFT_BEHIND_TOPICS = (
    "问起周末安排，说要回家帮{guardian}喂猪、干农活",
    "聊到交友情况，和同桌关系很好，周末常一起写作业",
    "问最近有没有和爸爸妈妈联系，说{contact}",
    "聊到{guardian}的身体，说{guardian}最近腰疼，自己回家会多做家务",
    "谈到零花钱的使用，提醒不要乱买零食，不借钱给别人",
    "聊了课余活动，喜欢打篮球，参加了学校的兴趣小组",
    "问到寄宿生活，能自己洗衣服，和室友相处融洽",
    "说想爸爸妈妈了，希望他们过年能早点回来",
)
PARENT_CONTACTS = (
    "上周和妈妈视频过一次",
    "爸爸每周日晚上会打电话来",
    "很久没联系了，妈妈工作忙",
    "用{guardian}的手机和爸爸聊过几句",
)
POOR_TALK = (
    "与{who}交流本月的生活和学习情况：{life}；{study}。询问需要什么帮助，{need}",
    "找{who}了解近期生活：{life}。学习方面，{study}。征询帮扶意见，{need}",
    "与{who}谈话，了解家里近况和在校生活：{life}；{study}。{need}",
)
POOR_NEEDS = (
    "说冬天的被子有点薄",
    "说想要一本英汉词典",
    "说营养餐吃得饱，暂时没有困难",
    "说家里的牛生病了，爸爸很着急",
    "说寄宿生生活补助已经到账，用来买了生活用品",
    "说鞋子破了，不好意思跟家里要钱",
    "说想借几本课外书看",
)
# (item, lowest, highest price in yuan); winter items in term 1's cold months.
WINTER_ITEMS = (("棉衣", 150, 300), ("棉被", 150, 250), ("保暖鞋", 80, 150), ("毛衣", 80, 150))
STUDY_ITEMS = (
    ("书包", 80, 150), ("文具", 30, 80), ("课外书", 50, 120), ("校服", 120, 200),
    ("英汉词典", 40, 60), ("运动鞋", 100, 180),
)  # fmt: skip
AID_SOURCES = (
    "由帮扶教师个人资助",
    "来自县教育基金会的爱心捐赠",
    "学校“爱心超市”物资",
    "爱心企业捐赠，学校统一发放",
)
CASH_SOURCES = (
    "由帮扶教师个人资助",
    "县教育基金会爱心助学金",
    "爱心企业捐赠的助学金，学校统一发放",
)
FAMILY_HOUSES = (
    "住两层砖木结构房屋，已完成危房改造",
    "住老木房，较为陈旧，家中收拾得干净",
    "已易地扶贫搬迁到镇上安置点",
    "住砖房，家具简单",
)
# Incomes and poverty causes (致贫原因) for families whose parents work far away, and for
# the others.
FAMILY_INCOMES = {
    True: (
        "收入主要靠父母在外打工，工资不稳定，还要供养老人",
        "父母在工地打零工，每月寄回的钱不多，家里种点玉米、养两头猪",
    ),
    False: (
        "收入主要靠父亲在附近打零工和种玉米、养猪",
        "母亲在家务农，收入不稳定",
        "家里种了几亩茶叶，收入有限",
        "靠低保和打零工维持生活",
    ),
}
POVERTY_CAUSES = {
    True: (
        "因病：{relative}患慢性病，长期吃药，医药费负担重",
        "因学：家中三个孩子上学，负担较重",
        "缺技术：父母文化程度低，在外只能打零工",
    ),
    False: (
        "因病：{relative}患慢性病，长期吃药，医药费负担重",
        "因学：家中三个孩子上学，负担较重",
        "缺技术：父母文化程度低，只能打零工",
        "因残：父亲肢体残疾，不能干重活",
    ),
}
# Only where the mother is the guardian.
WIDOWED_CAUSE = "缺劳力：父亲几年前因病去世，母亲一人抚养孩子"
HOME_LIFE_NOTES = (
    "孩子在家能帮忙做饭、喂猪，很懂事",
    "孩子周末在家玩手机的时间较长",
    "孩子在家话不多，作业一般在晚饭后写",
    "家里离学校远，孩子每周日走一个多小时山路返校",
)
AID_NEEDS = (
    "希望落实寄宿生生活补助，孩子冬季衣物不足",
    "希望学校帮助申请助学金，孩子需要学习用品",
    "希望老师多关注孩子的学习，帮助孩子树立信心",
    "需要协助办理医疗救助报销手续",
    "希望孩子能参加学校的课后服务，放学后有人辅导作业",
)
STUDY_HOMES = (
    "孩子在堂屋的饭桌上写作业，光线较暗，建议家长添一盏台灯",
    "家里有单独的书桌，但电视声音较大，建议写作业时关掉电视",
    "孩子回家后要帮忙干农活，学习时间少，和家长商定每天保证一小时学习时间",
    "家里没有课外书，把两本适合的书借给孩子",
)
TUTORING = (
    "利用{time}为{who}辅导{subject}，重点讲了{topic}。面批{work}，{finding}",
    "{time}给{who}讲{subject}，复习{topic}。当面批改{work}，{finding}",
    "{time}辅导{who}{subject}：先订正上次的错题，再讲{topic}。面批{work}，{finding}",
)
DAILY_PLANS = ("背十个单词", "做一页数学练习", "读书半小时", "听写生字词")
EXAM_LOSSES = ("计算失误较多", "基础题丢分", "时间不够没做完", "审题不仔细")
EXAM_PLANS = ("每天做三道同类题", "每周交一次错题本", "先把基础题做对")
TUTORING_TIMES = ("晚自习", "午休前", "放学后", "课后服务时间", "下午活动课")
TUTORING_WORKS = ("当天作业", "课堂练习", "周末作业", "练习册一节")
TUTORING_FINDINGS = (
    "错了三道题，主要是计算粗心，当面订正",
    "基础题能独立完成，提高题还需要提示",
    "比上周有进步，正确率达到七成左右",
    "书写潦草、步骤不全，要求重新写一遍",
    "概念还不清楚，又讲了一遍并布置了两道巩固题",
)
PRAISES = (
    "本周没有迟到，值日认真",
    "上课能坐得住，作业按时交了",
    "主动帮同学搬桌椅，班主任表扬了他",
    "篮球比赛中为班级出了力",
    "这周手机没有带进教室",
)
WARNINGS = (
    "和同学说话要注意语气，遇到矛盾先找老师",
    "不要再带手机进教室，晚上按时熄灯",
    "上课不要睡觉，不会的地方课后来问",
    "不能随意离开学校，有事先请假",
    "少和校外的社会青年来往",
)
HOPES = (
    "下周各科作业都按时完成",
    "期中考试前每天背十个单词",
    "一周内不被扣纪律分",
    "每天跑步锻炼半小时，把精力用在正事上",
    "主动参加一次班级活动",
)
EXCHANGE_REPORTS = (
    "上课纪律比上周好，但英语作业有一次没交",
    "和同学发生过一次口角，已调解",
    "课堂上能听讲，数学小测有进步",
    "有两次迟到，晚上可能玩手机睡得晚",
    "本周表现稳定，没有违纪",
    "上课爱讲话，科任老师提醒了几次",
)
EXCHANGE_AGREEMENTS = (
    "商定由班主任安排其担任小组长，增强责任感",
    "约定各科老师发现问题及时在群里沟通",
    "请科任老师课堂上多提问、多鼓励",
    "商定本周找家长沟通手机使用问题",
    "继续观察，下周再交流",
)
REVIEW_PROGRESS = (
    "本月迟到次数明显减少",
    "作业上交率提高了，数学小测及格",
    "与同学冲突减少，能主动认错",
    "上课睡觉的情况少了",
    "能按时返校，没有私自离校",
)
REVIEW_ISSUES = (
    "仍偶尔带手机进宿舍",
    "英语作业完成质量较差",
    "遇到不顺心的事情容易冲动",
    "早上起床拖拉，偶尔迟到",
    "上课注意力集中时间还不长",
)
REVIEW_GOALS = (
    "不迟到、不旷课",
    "每天按时完成作业，不会的题问老师",
    "不带手机进教室",
    "遇到矛盾先冷静，找老师解决",
    "主动为班级做一件好事",
)
LETTER_TOPICS = (
    "这学期的学习进步和考试成绩",
    "在学校寄宿的生活和交到的好朋友",
    "{guardian}的身体情况和家里的事",
    "对爸爸妈妈的想念，希望他们注意身体",
)
FESTIVAL_NOTES = {
    "中秋节": "中秋节和{who}及几名留守学生在学校分月饼、赏月，{who}和在外的父母视频通话，"
    "说了很多心里话",
    "国庆节": "国庆节前和{who}一起看升旗仪式录像、聊家乡的变化，送了一本课外书作为节日礼物",
    "元旦": "元旦晚会上和{who}一起表演节目，会后一起吃饭，孩子很开心",
    "春节": "春节前到{who}家中走访，送去春联和年货，陪孩子和{guardian}吃了一顿团圆饭",
    "元宵节": "元宵节和{who}一起煮汤圆、猜灯谜，给在外务工的父母打了电话拜年",
    "端午节": "端午节和{who}一起包粽子，讲了屈原的故事，孩子带了几个粽子回家给{guardian}",
}
OTHER_NOTES = {
    Category.LEFT_BEHIND: (
        "带{who}到学校留守儿童活动室参加周末活动，一起下棋、看书",
        "{who}感冒发烧，陪同到镇卫生院看病，并电话告知家长",
        "给{who}过生日，送了一本课外书",
    ),
    Category.POOR: (
        "帮助{who}填写寄宿生生活补助申请表，核对家庭信息",
        "联系爱心人士为{who}争取一对一资助，已提交材料",
        "陪{who}到镇上配眼镜，费用由教师垫付",
    ),
    Category.STRUGGLING: (
        "推荐{who}参加学校课后服务的学科辅导小组",
        "与{who}家长微信沟通，请家长督促孩子周末完成作业",
        "给{who}整理了一本错题集，讲解使用方法",
    ),
    Category.PROBLEM: (
        "参加学校问题学生座谈会，汇报{who}近期表现，统一教育方法",
        "{who}与同学发生口角，及时调解，双方互相道歉",
        "陪{who}参加学校心理辅导室的团体辅导活动",
    ),
}


@dataclass
class _Helping:
    """One pairing while its logs are written: who, how diligent, how the student is doing."""

    pairing: Pairing
    pupil: _Pupil
    student: Student
    diligence: float
    base: tuple[float, float, float]
    drift: float
    homeroom: Any


class _LogWriter:
    """Writes a school's activity logs: per pairing, per owed period of each duty rule, done
    with the teacher's diligence on a plausible day, never after the last day."""

    def __init__(self, demo: _DemoSchool) -> None:
        self.demo = demo
        self.rng = demo.rng("logs")
        self.last_day = min(demo.today, timezone.localdate())
        self.now = timezone.now().replace(microsecond=0)
        self.logs: list[ActivityLog] = []
        # Many pairings share their dates: the owed periods are worked out once for each.
        self.owed: dict[tuple[dt.date, duties.Period, dt.date, dt.date | None], Any] = {}
        self.holiday_days = {
            monday + dt.timedelta(days=n)
            for calendar in demo.calendars.values()
            for monday in calendar.holidays
            for n in range(7)
        }

    # The teachers' diligence, then every pairing's duties.
    def write(self) -> list[ActivityLog]:
        rng = self.rng
        teachers = self.demo.teachers
        sloppy = {t.pk for t in rng.sample(teachers, max(1, round(SLOPPY_SHARE * len(teachers))))}
        diligence = {
            t.pk: rng.uniform(0.4, 0.6) if t.pk in sloppy else rng.uniform(0.8, 0.95)
            for t in teachers
        }
        pupils = {p.student.pk: p for p in self.demo.pupils if p.student is not None}
        rules = [r for r in duties.DEFAULT_RULES if r.period is not duties.Period.YEAR]
        for pairing in self.demo.pairings:
            pupil = pupils[pairing.student_id]
            assert pupil.student is not None  # noqa: S101 — set by _create_students
            base = BASE_STATES[Category(pairing.category)]
            helping = _Helping(
                pairing=pairing,
                pupil=pupil,
                student=pupil.student,
                diligence=min(1.0, diligence[pairing.teacher_id] + rng.uniform(-0.05, 0.05)),
                base=(
                    base[0] + rng.uniform(-0.4, 0.4),
                    base[1] + rng.uniform(-0.4, 0.4),
                    base[2] + rng.uniform(-0.4, 0.4),
                ),
                drift=rng.uniform(-0.2, 0.8),
                homeroom=pupil.school_class.homeroom_teacher,
            )
            span = duties.Span(pairing.start, pairing.end)
            for semester in (self.demo.previous, self.demo.current):
                calendar = self.demo.calendars[semester.pk]
                for rule in rules:
                    if rule.category == pairing.category:
                        self._rule(helping, semester, calendar, span, rule)
                if rng.random() < 0.3:
                    window = duties.Window(semester.start, semester.end)
                    day = self._day(window, span, calendar, Kind.OTHER)
                    if day is not None:
                        self._add(helping, semester, Kind.OTHER, day)
            if pairing.category == Category.LEFT_BEHIND:
                self._festivals(helping, span)
        self._withdraw_some()
        return self.logs

    def _rule(
        self,
        helping: _Helping,
        semester: Semester,
        calendar: duties.Calendar,
        span: duties.Span,
        rule: duties.Rule,
    ) -> None:
        rng = self.rng
        kind = Kind(rule.kind)
        if rule.period is duties.Period.EXAM:
            self._exam_guidance(helping, semester, calendar, span)
            return
        chance = helping.diligence
        if rule.period is duties.Period.SEMESTER:
            # Concrete, checked at the assessment: even the sloppy mostly manage these.
            chance = min(1.0, chance + 0.08)
        key = (calendar.start, rule.period, span.start, span.end)
        if key not in self.owed:
            self.owed[key] = duties.owed_periods(rule.period, calendar=calendar, span=span)
        for window in self.owed[key]:
            if rng.random() >= chance:
                continue
            early = rule.period is duties.Period.SEMESTER
            day = self._day(window, span, calendar, kind, early=early)
            if day is not None:
                self._add(helping, semester, kind, day)
            # Now and then a second one in the same week.
            if rule.period is duties.Period.WEEK and rng.random() < 0.05:
                day = self._day(window, span, calendar, kind)
                if day is not None:
                    self._add(helping, semester, kind, day)

    def _exam_guidance(
        self,
        helping: _Helping,
        semester: Semester,
        calendar: duties.Calendar,
        span: duties.Span,
    ) -> None:
        """Review before each exam and, mostly, the paper's analysis after it."""
        rng = self.rng
        previous: dt.date | None = None
        for exam in sorted(calendar.exams):
            earliest = max(semester.start, span.start, (previous or exam) + ONE_DAY)
            previous = exam
            if exam not in span or rng.random() >= helping.diligence:
                continue
            name = self.demo.exam_names.get(exam, MIDTERM)
            before = exam - dt.timedelta(days=rng.randint(1, 6))
            if before >= earliest and before <= self.last_day and rng.random() < 0.85:
                self._add(helping, semester, Kind.EXAM_GUIDANCE, before, exam=name, after=False)
            after = exam + dt.timedelta(days=rng.randint(2, 8))
            analysed = rng.random() < 0.8
            if analysed and after in span and semester.contains(after) and after <= self.last_day:
                self._add(helping, semester, Kind.EXAM_GUIDANCE, after, exam=name, after=True)

    def _festivals(self, helping: _Helping, span: duties.Span) -> None:
        """One festival a school year spent with a left-behind student, on or just before
        the day (the day itself is often a holiday)."""
        rng = self.rng
        by_year: dict[str, list[tuple[dt.date, str, Semester]]] = {}
        for semester in (self.demo.previous, self.demo.current):
            for day, name in _festivals(semester):
                day -= dt.timedelta(days=rng.choice((0, 0, 1)))
                if day in span and semester.contains(day):
                    by_year.setdefault(semester.code[:9], []).append((day, name, semester))
        for candidates in by_year.values():
            if rng.random() >= min(1.0, helping.diligence + 0.05):
                continue
            weights = [{"中秋节": 5, "元旦": 3, "春节": 2}.get(n, 1) for _d, n, _s in candidates]
            day, name, semester = rng.choices(candidates, weights)[0]
            if day <= self.last_day:
                self._add(helping, semester, Kind.FESTIVAL, day, festival=name)

    def _day(
        self,
        window: duties.Window,
        span: duties.Span,
        calendar: duties.Calendar,
        kind: Kind,
        *,
        early: bool = False,
    ) -> dt.date | None:
        """A plausible day in the window while the pairing ran (school days for school
        activities, weekends for home visits), or None when it falls after the last day:
        the period's duty is still to come. Semester duties lean to the first half."""
        style = KIND_STYLE.get(kind, "school")
        weights = WEEKDAY_WEIGHTS[style]
        days: list[dt.date] = []
        scores: list[float] = []
        length = max(1, (window.end - window.start).days)
        for day in window.days():
            if day not in span or not calendar.start <= day <= calendar.end:
                continue
            weight: float = weights[day.weekday()]
            if style == "school" and day in self.holiday_days:
                weight = 0.1
            if early:
                weight *= 1.3 - (day - window.start).days / length
            if weight > 0:
                days.append(day)
                scores.append(weight)
        if not days:
            return None
        day = self.rng.choices(days, scores)[0]
        return day if day <= self.last_day else None

    def _add(
        self,
        helping: _Helping,
        semester: Semester,
        kind: Kind,
        day: dt.date,
        *,
        exam: str = "",
        after: bool = False,
        festival: str = "",
    ) -> None:
        rng = self.rng
        pairing = helping.pairing
        low, high = DURATIONS[kind]
        progress = (day - pairing.start).days / 300
        study, life, mood = (
            _state(level + helping.drift * progress + rng.gauss(0, 0.45)) for level in helping.base
        )
        log = ActivityLog(
            pairing=pairing,
            author=pairing.teacher,
            kind=kind,
            date=day,
            duration_minutes=rng.randint(low, high) if rng.random() < 0.9 else None,
        )
        text = _LogText(
            rng=rng, helping=helping, semester=semester, day=day, study=study, life=life, mood=mood
        )
        text.fill(log, exam=exam, after=after, festival=festival)
        log.created_at = self._entered(day)
        log.updated_at = log.created_at
        self.logs.append(log)

    def _entered(self, day: dt.date) -> dt.datetime:
        """Entered the same evening, now and then a day or two later; never after now."""
        rng = self.rng
        later = rng.choice((1, 2)) if rng.random() < 0.15 else 0
        moment = dt.datetime.combine(
            day + dt.timedelta(days=later),
            dt.time(rng.randint(18, 22), rng.randint(0, 59)),
            tzinfo=timezone.get_current_timezone(),
        )
        if moment > self.now:
            moment = self.now - dt.timedelta(minutes=rng.randint(1, 90))
        return moment

    def _withdraw_some(self) -> None:
        """A handful of logs were entered twice (or with a wrong date) and the copy withdrawn
        by its author within the edit window."""
        rng = self.rng
        if not self.logs:
            return
        count = max(1, round(WITHDRAWN_SHARE * len(self.logs)))
        for original in rng.sample(self.logs, min(count, len(self.logs))):
            reason = rng.choice(WITHDRAWN_REASONS)
            copy = ActivityLog(
                **{
                    f.attname: getattr(original, f.attname)
                    for f in ActivityLog._meta.concrete_fields
                    if not f.primary_key
                }
            )
            if "重新录入" in reason:
                # The faulty one came first; withdrawn just before entering it again.
                entered = original.created_at - dt.timedelta(minutes=rng.randint(6, 40))
                withdrawn = original.created_at - dt.timedelta(minutes=rng.randint(1, 5))
                pairing = original.pairing
                wrong = original.date + dt.timedelta(days=rng.choice((-1, 1)))
                if "日期" in reason and wrong in duties.Span(pairing.start, pairing.end):
                    copy.date = min(wrong, self.last_day)
            else:
                entered = min(
                    self.now, original.created_at + dt.timedelta(minutes=rng.randint(1, 30))
                )
                withdrawn = min(self.now, entered + dt.timedelta(minutes=rng.randint(5, 600)))
            copy.created_at, copy.updated_at = entered, withdrawn
            copy.withdrawn_at, copy.withdrawn_reason = withdrawn, reason
            self.logs.append(copy)


def _state(level: float) -> str:
    if level < 0.67:
        return State.POOR
    if level < 1.34:
        return State.FAIR
    return State.GOOD


@dataclass
class _LogText:
    """What a teacher writes in one log, from templates with the student's details."""

    rng: random.Random
    helping: _Helping
    semester: Semester
    day: dt.date
    study: str
    life: str
    mood: str

    @property
    def student(self) -> Student:
        return self.helping.student

    @property
    def who(self) -> str:
        return self.student.name if self.rng.random() < 0.7 else "该生"

    @property
    def guardian(self) -> str:
        relation = self.student.guardian_relation
        return SPOKEN_RELATION.get(relation, relation or "家长")

    @property
    def workplace(self) -> str:
        return self.student.parents_workplace.split("（")[0] or "外省"

    @property
    def grade(self) -> int:
        return max(0, min(2, int(self.semester.code[:4]) - self.helping.pupil.entry_year))

    @property
    def subject(self) -> str:
        pairing = self.helping.pairing
        if pairing.subject in TOPICS:
            return pairing.subject
        taught = [s for s in MAIN_SUBJECTS if s in pairing.teacher.profile.subjects]
        if taught and (taught[0] != "物理" or self.grade > 0):
            return taught[0]
        return self.rng.choice(("语文", "数学", "英语"))

    def topic(self, subject: str) -> str:
        by_grade = TOPICS[subject]
        return self.rng.choice(by_grade[min(self.grade, len(by_grade) - 1)])

    def pick(self, pool: tuple[str, ...], **values: str) -> str:
        return self.rng.choice(pool).format(**values)

    def study_note(self, subject: str = "") -> str:
        return self.pick(STUDY_NOTES[State(self.study)], subject=subject or self.subject)

    def life_note(self) -> str:
        return self.pick(LIFE_NOTES[State(self.life)])

    def mood_note(self) -> str:
        return self.pick(MOOD_NOTES[State(self.mood)])

    def follow_up(self, share: float = 0.4) -> str:
        return self.rng.choice(FOLLOW_UPS) if self.rng.random() < share else ""

    def fill(self, log: ActivityLog, *, exam: str, after: bool, festival: str) -> None:
        category = Category(self.helping.pairing.category)
        kind = Kind(log.kind)
        log.channel = Channel.IN_PERSON
        if kind == Kind.TALK:
            self._talk(log, category)
        elif kind == Kind.PARENT_CONTACT:
            self._parent_contact(log, category)
        elif kind == Kind.LETTER:
            self._letter(log)
        elif kind == Kind.FESTIVAL:
            who = self.who
            log.content = FESTIVAL_NOTES[festival].format(who=who, guardian=self.guardian) + "。"
            log.mood = State.GOOD if self.mood != State.POOR else State.FAIR
        elif kind == Kind.MATERIAL_AID:
            self._material_aid(log)
        elif kind == Kind.HOME_VISIT:
            self._home_visit(log, category)
        elif kind == Kind.TUTORING:
            self._tutoring(log)
        elif kind == Kind.EXAM_GUIDANCE:
            self._exam_guidance(log, exam=exam, after=after)
        elif kind == Kind.EXCHANGE:
            self._exchange(log)
        elif kind == Kind.PROGRESS_REVIEW:
            log.content = (
                f"与{self.who}一起进行本月进步盘点。进步：{self.pick(REVIEW_PROGRESS)}；"
                f"仍需改进：{self.pick(REVIEW_ISSUES)}。下月目标：{self.pick(REVIEW_GOALS)}。"
            )
            log.study_state, log.mood = self.study, self.mood
            log.follow_up = self.follow_up(0.3)
        else:
            log.content = self.pick(OTHER_NOTES[category], who=self.who) + "。"
            if "微信" in log.content:
                log.channel = Channel.MESSAGE

    def _talk(self, log: ActivityLog, category: Category) -> None:
        rng = self.rng
        who = self.who
        opening = self.pick(TALK_OPENINGS, who=who)
        if category == Category.PROBLEM:
            log.content = (
                f"{opening}。肯定：{self.pick(PRAISES)}；忠告：{self.pick(WARNINGS)}；"
                f"期望：{self.pick(HOPES)}。{self.mood_note()}。"
            )
        elif category == Category.POOR:
            log.content = self.pick(
                POOR_TALK,
                who=who,
                life=self.life_note(),
                study=self.study_note(),
                need=self.pick(POOR_NEEDS),
            )
            log.content += "。"
        else:
            contact = self.pick(PARENT_CONTACTS, guardian=self.guardian)
            topics = [
                t.format(guardian=self.guardian, contact=contact)
                for t in rng.sample(LEFT_BEHIND_TOPICS, 2)
            ]
            note = self.study_note() if rng.random() < 0.5 else self.life_note()
            log.content = (
                f"{opening}。{note}；{'；'.join(topics)}。{self.mood_note()}，{self.pick(ADVICE)}。"
            )
        if rng.random() < 0.05:
            log.channel = Channel.PHONE
        log.study_state, log.life_state, log.mood = self.study, self.life, self.mood
        log.follow_up = self.follow_up()

    def _parent_contact(self, log: ActivityLog, category: Category) -> None:
        rng = self.rng
        who = self.who
        if category == Category.LEFT_BEHIND:
            log.channel = rng.choices((Channel.PHONE, Channel.VIDEO, Channel.MESSAGE), (55, 40, 5))[
                0
            ]
            parent = rng.choice(("父亲", "母亲", "父母"))
            how = {Channel.PHONE: "通电话", Channel.VIDEO: "视频通话", Channel.MESSAGE: "微信语音"}
            said = rng.choice(
                (
                    "家长表示年底回家，请老师多费心",
                    "家长希望孩子少玩手机，多和老师沟通",
                    "家长感谢学校的关心，表示以后多给孩子打电话",
                    "家长说厂里忙，春节可能回不来，心里很愧疚",
                    "家长说会按时寄生活费，请老师督促孩子吃好饭",
                )
            )
            talk = rng.choice(
                (
                    f"随后让{who}与{parent}通话十来分钟，孩子很开心",
                    f"{who}在电话里跟{parent}说了最近的考试成绩，{parent}鼓励了孩子",
                    "孩子与父母说话时有些害羞，说得不多",
                )
            )
            log.content = (
                f"与在{self.workplace}务工的{who}{parent}{how[Channel(log.channel)]}，"
                f"汇报本月在校情况：{self.study_note()}，{self.life_note()}。{talk}。{said}。"
            )
        else:
            log.channel = rng.choices(
                (Channel.PHONE, Channel.IN_PERSON, Channel.MESSAGE), (60, 25, 15)
            )[0]
            relation = self.student.guardian_relation or "家长"
            how = {
                Channel.PHONE: "电话沟通",
                Channel.IN_PERSON: "到校面谈",
                Channel.MESSAGE: "微信沟通",
            }
            ask = rng.choice(
                (
                    "请家长周末限制孩子使用手机的时间",
                    "家长表示孩子在家不太听话，希望老师多管教",
                    "家长答应每周检查一次作业，有情况及时和老师联系",
                    "约定孩子周日按时返校，由家长送到校门口",
                    "家长对孩子的进步很高兴，表示会多鼓励",
                )
            )
            log.content = (
                f"与{who}的{relation}{how[Channel(log.channel)]}，"
                f"反馈本月表现：{self.pick(EXCHANGE_REPORTS)}。{ask}。"
            )
        log.study_state, log.life_state = self.study, self.life
        log.follow_up = self.follow_up(0.3)

    def _letter(self, log: ActivityLog) -> None:
        topics = "、".join(
            t.format(guardian=self.guardian) for t in self.rng.sample(LETTER_TOPICS, 2)
        )
        sent = self.rng.choice(
            ("拍照通过微信发给了家长", "由学校统一寄出", "孩子自己到镇上邮局寄出")
        )
        log.content = (
            f"指导{self.who}给在{self.workplace}务工的父母写了一封信，信中写到{topics}。"
            f"帮助修改了错别字和不通顺的句子，信已{sent}。"
        )
        log.mood = self.mood

    def _material_aid(self, log: ActivityLog) -> None:
        rng = self.rng
        if rng.random() < 0.3:
            items = ["助学金"]
            amount = rng.randint(2, 8) * 100
        else:
            winter = self.day.month in (10, 11, 12, 1)
            pool = list(WINTER_ITEMS + STUDY_ITEMS if winter else STUDY_ITEMS)
            chosen = rng.sample(pool, rng.randint(2, 3))
            while sum(high for _n, _l, high in chosen) < 200:
                chosen.append(rng.choice([i for i in pool if i not in chosen]))
            items = [name for name, _l, _h in chosen]
            amount = max(200, min(800, sum(rng.randint(low, high) for _n, low, high in chosen)))
            amount = amount // 10 * 10
        log.aid_items = "、".join(items)
        log.aid_amount = Decimal(amount)
        if items == ["助学金"]:
            log.content = (
                f"为{self.who}发放助学金{amount}元（{rng.choice(CASH_SOURCES)}），"
                "已请学生和监护人签字确认，叮嘱用于购买学习和生活用品。"
            )
        else:
            thanks = rng.choice(
                ("学生表示感谢，会好好学习", "叮嘱孩子爱惜物品", "已请学生签字确认")
            )
            log.content = (
                f"为{self.who}送去{log.aid_items}，合计{amount}元，{rng.choice(AID_SOURCES)}。"
                f"{thanks}。"
            )
        log.life_state = self.life

    def _home_visit(self, log: ActivityLog, category: Category) -> None:
        rng = self.rng
        student = self.student
        place = student.address.removeprefix(f"贵州省{COUNTY_NAME}") or "学生家中"
        log.visit_place = place
        relation = student.guardian_relation or "家长"
        present = [relation, "学生本人"]
        if category == Category.POOR and rng.random() < 0.3:
            present.append("村帮扶干部")
        log.visit_present = "、".join(present)
        size = rng.randint(4, 7)
        away = _left_behind(self.helping.pupil)
        if away:
            members = f"父母在{self.workplace}务工，孩子和{self.guardian}在家"
        else:
            members = f"孩子与{relation}等家人同住"
        house, income = rng.choice(FAMILY_HOUSES), rng.choice(FAMILY_INCOMES[away])
        log.family_situation = f"家中{size}口人，{members}；{house}；{income}。"
        if category == Category.POOR:
            causes = POVERTY_CAUSES[away]
            if relation == "母亲":
                causes = (*causes, WIDOWED_CAUSE, WIDOWED_CAUSE)
            relative = rng.choice(("爷爷", "奶奶") if away else ("爷爷", "奶奶", "母亲"))
            log.poverty_cause = self.pick(causes, relative=relative) + "。"
            log.aid_needs = rng.choice(AID_NEEDS) + "。"
            log.content = (
                f"步行和搭乘村里的车到{place}家访，与{log.visit_present}交谈。"
                f"了解家庭收入和孩子在家的情况：{rng.choice(HOME_LIFE_NOTES)}。"
                "宣传了营养改善计划、寄宿生生活补助等资助政策，核实了家庭信息。"
            )
        else:
            log.aid_needs = "希望老师帮助制定假期学习计划，督促孩子每天完成作业。"
            log.content = (
                f"到{place}进行学习家访。查看学习环境：{rng.choice(STUDY_HOMES)}。"
                f"与{relation}交流孩子在家的学习情况：{self.study_note()}。"
                f"一起制定了节假日学习计划：每天{rng.choice(DAILY_PLANS)}，"
                "周末完成作业后再帮家里干活。"
            )
        log.study_state, log.life_state, log.mood = self.study, self.life, self.mood
        log.follow_up = self.follow_up(0.5)

    def _tutoring(self, log: ActivityLog) -> None:
        subject = self.subject
        log.content = (
            self.pick(
                TUTORING,
                time=self.rng.choice(TUTORING_TIMES),
                who=self.who,
                subject=subject,
                topic=self.topic(subject),
                work=self.rng.choice(TUTORING_WORKS),
                finding=self.rng.choice(TUTORING_FINDINGS),
            )
            + "。"
        )
        log.study_state = self.study
        log.follow_up = self.follow_up(0.3)

    def _exam_guidance(self, log: ActivityLog, *, exam: str, after: bool) -> None:
        rng = self.rng
        subject = self.subject
        log.exam_name = exam
        if after:
            score = rng.randint(35, 85)
            change = rng.choice(
                (f"比上次提高了{rng.randint(3, 15)}分", "和上次差不多", "比上次略有下降")
            )
            log.content = (
                f"{exam}后与{self.who}一起分析{subject}试卷：得分{score}分，{change}。"
                f"失分主要在{self.topic(subject)}，{rng.choice(EXAM_LOSSES)}。"
                f"订正了错题，约定下阶段{rng.choice(EXAM_PLANS)}。"
            )
        else:
            log.content = (
                f"{exam}前帮助{self.who}梳理{subject}知识点，制定复习计划，"
                f"重点复习{self.topic(subject)}，做了一套模拟题并讲解错题。"
                f"{rng.choice(('提醒考试时先易后难、认真审题', '叮嘱考前早点休息，不要紧张'))}。"
            )
        log.study_state, log.mood = self.study, self.mood

    def _exchange(self, log: ActivityLog) -> None:
        rng = self.rng
        homeroom = self.helping.homeroom
        teacher = self.helping.pairing.teacher
        if homeroom is not None and homeroom.pk != teacher.pk:
            others = f"班主任{homeroom.profile.name[0]}老师"
            if rng.random() < 0.5:
                others += f"和{rng.choice(('数学', '英语', '语文'))}老师"
        else:
            others = "、".join(rng.sample(["数学老师", "英语老师", "语文老师", "物理老师"], 2))
        log.channel = rng.choices((Channel.IN_PERSON, Channel.MESSAGE), (80, 20))[0]
        log.content = (
            f"与{others}交流{self.who}本周情况：{self.pick(EXCHANGE_REPORTS)}。"
            f"{self.pick(EXCHANGE_AGREEMENTS)}。"
        )
        log.study_state = self.study


def _create_logs(demo: _DemoSchool) -> None:
    """Activity logs for every pairing, over the part of both semesters it ran, up to today,
    following the duty rules as real teachers do: most keep up with 80–95% of their duties,
    a few with about half. The times they were entered follow the dates (evenings), so the
    7-day edit window looks as it would."""
    logs = _LogWriter(demo).write()
    _bulk_create_with_times(ActivityLog, logs)


def _bulk_create_with_times(model: Any, objects: list[Any]) -> None:
    """bulk_create stamps the auto_now(_add) fields with the current time, whatever the
    objects hold; this puts back the times they were given."""
    fields = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    fields += [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    given = [tuple(getattr(o, name) for name in fields) for o in objects]
    model.objects.bulk_create(objects, batch_size=1000)
    # One statement run for every row: bulk_update's CASE expressions grow quadratic.
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 — names from the model
    rows = []
    for obj, values in zip(objects, given, strict=True):
        for name, value in zip(fields, values, strict=True):
            setattr(obj, name, value)
        prepared = [
            c.get_db_prep_value(v, connection) for c, v in zip(columns, values, strict=True)
        ]
        rows.append([*prepared, obj.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- Incidents -------------------------------------------------------------------------------

# About one incident per 40 students a semester, mostly by problem students.
INCIDENT_RATE = 1 / 40
INCIDENT_WEIGHTS = {
    Category.PROBLEM: 80,
    Category.STRUGGLING: 2,
    Category.LEFT_BEHIND: 2,
    Category.POOR: 1,
}
INCIDENT_TYPES = {
    IncidentType.SKIPPING: 26,
    IncidentType.SERIOUS_BREACH: 18,
    IncidentType.LEAVING_SCHOOL: 14,
    IncidentType.GANG_FIGHT: 12,
    IncidentType.NIGHT_OUT: 10,
    IncidentType.TRUANCY: 8,
    IncidentType.BULLYING: 6,
    IncidentType.RUNNING_AWAY: 3,
    IncidentType.QUITTING: 2,
    IncidentType.DROPPING_OUT: 1,
}
INCIDENT_NOTES = {
    IncidentType.SKIPPING: (
        "下午第{period}节课未到教室，后在学校后山找到，称不想上课。已批评教育并通知家长。",
        "和两名同学躲在宿舍玩手机，缺了第{period}节课。已没收手机，通知家长。",
    ),
    IncidentType.TRUANCY: (
        "周一未返校，家长以为孩子在学校，后在镇上网吧找到。已与家长共同教育。",
        "连续两天未到校，家访了解是不想读书，已做思想工作，次日返校。",
    ),
    IncidentType.QUITTING: ("提出不想读书，想跟亲戚外出打工，经家访劝说，暂时回校上课。",),
    IncidentType.DROPPING_OUT: (
        "一周未到校，家访得知准备随亲戚外出务工，已上报控辍保学，经劝返后复学。",
    ),
    IncidentType.LEAVING_SCHOOL: (
        "午休时翻墙离校到镇上买东西，下午上课前被值班老师发现。已通知家长。",
        "未请假擅自离校回家，家长来电后才得知。已教育并通报家长。",
    ),
    IncidentType.NIGHT_OUT: (
        "周末未回家也未在校，晚上在同学家过夜，家长报告后找回。",
        "晚自习后离开宿舍到校外上网通宵，次日早上返校。已通知家长。",
    ),
    IncidentType.RUNNING_AWAY: (
        "与家人争吵后离家出走，两天后在县城亲戚家找到。已与家长、学生谈话。",
    ),
    IncidentType.GANG_FIGHT: (
        "放学后与外班几名学生在校门外打架，一人轻微受伤。已调查处理，通知双方家长。",
        "因琐事与同学结伙打架，已给予警告处分。",
    ),
    IncidentType.BULLYING: (
        "多次向低年级同学索要零花钱，已责令退还并道歉，通知家长。",
        "与同学一起欺负同寝室同学，已批评教育，召开寝室会。",
    ),
    IncidentType.SERIOUS_BREACH: (
        "在宿舍吸烟并顶撞值班老师，已给予警告处分。",
        "考试作弊且不服老师管理，已按校规处理。",
        "带管制刀具进校，已没收，通知家长并进行安全教育。",
    ),
}
# Incidents that happen out of school hours, on any day.
ANY_DAY_INCIDENTS = (IncidentType.NIGHT_OUT, IncidentType.RUNNING_AWAY)


def _create_incidents(demo: _DemoSchool) -> None:
    """A few incidents a semester (逃课、打架、夜不归宿…), mostly by problem students, on a
    school day of the semester up to today, recorded by the class's homeroom teacher (or the
    aid office when the class has none)."""
    rng = demo.rng("incidents")
    last_day = min(demo.today, timezone.localdate())
    now = timezone.now().replace(microsecond=0)
    incidents: list[Incident] = []
    for semester, attribute in ((demo.previous, "previous"), (demo.current, "current")):
        calendar = demo.calendars[semester.pk]
        pupils = [
            p
            for p in demo.pupils
            if (p.in_previous if attribute == "previous" else p.status == Student.Status.ENROLLED)
        ]
        count = sum(1 for _p in pupils if rng.random() < INCIDENT_RATE)
        if attribute == "previous":
            count = max(1, count)  # every school shows one
        weights = [
            max([1] + [INCIDENT_WEIGHTS[Category(c)] for c in getattr(p, attribute)])
            for p in pupils
        ]
        # The one every school shows is a problem student's, when there is one.
        problem = [p for p in pupils if Category.PROBLEM in getattr(p, attribute)]
        seen: set[tuple[int, dt.date]] = set()
        for n in range(min(count, len(pupils))):
            if n == 0 and attribute == "previous" and problem:
                pupil = rng.choice(problem)
            else:
                pupil = rng.choices(pupils, weights)[0]
            kind = rng.choices(list(INCIDENT_TYPES), list(INCIDENT_TYPES.values()))[0]
            day = _incident_day(rng, semester, calendar, any_day=kind in ANY_DAY_INCIDENTS)
            if pupil.student is None or day > last_day or (pupil.student.pk, day) in seen:
                continue  # still to come, if at all
            seen.add((pupil.student.pk, day))
            note = rng.choice(INCIDENT_NOTES[kind]).format(period=rng.randint(5, 7))
            incident = Incident(
                student=pupil.student,
                date=day,
                type=kind,
                note=note,
                recorded_by=pupil.school_class.homeroom_teacher or demo.office,
            )
            incident.created_at = min(
                now,
                dt.datetime.combine(
                    day, dt.time(rng.randint(17, 21), rng.randint(0, 59)),
                    tzinfo=timezone.get_current_timezone(),
                ),
            )  # fmt: skip
            incidents.append(incident)
    _bulk_create_with_times(Incident, incidents)


def _incident_day(
    rng: random.Random, semester: Semester, calendar: duties.Calendar, *, any_day: bool
) -> dt.date:
    """A day of the semester after its first week, a school day unless `any_day`."""
    first = semester.start + dt.timedelta(days=7)
    span = (semester.end - first).days
    day = first
    for _attempt in range(30):
        day = first + dt.timedelta(days=rng.randint(0, span))
        if any_day or (day.weekday() < 5 and not calendar.is_holiday(day)):
            break
    return day


DEMO_SUBJECTS = ("语文", "数学", "英语")
SUBJECT_FULL_MARKS = 120


def _create_scores(demo: _DemoSchool) -> None:
    """Scores for both semesters: 语文, 数学 and 英语 out of 120 and their total, for every
    student there that semester (the cohort averages need everyone). Each student has an
    ability that drifts between the semesters; aided students drift a little upwards on
    average (the aid works, mostly) and struggling ones start lower, so the assessment shows
    a believable mix of effective and ineffective pairings."""
    rng = demo.rng("scores")
    scores: list[Score] = []
    for pupil in demo.pupils:
        student = pupil.student
        assert student is not None  # noqa: S101 — set by _create_students
        ability = min(0.97, max(0.2, rng.gauss(0.72, 0.12)))
        if Category.STRUGGLING in pupil.current or Category.STRUGGLING in pupil.previous:
            ability -= 0.18
        drift = rng.gauss(0.07 if pupil.current else 0.0, 0.06)
        for semester, level in ((demo.previous, ability), (demo.current, ability + drift)):
            if semester is demo.previous and not pupil.in_previous:
                continue
            marks = {
                subject: min(
                    Decimal(SUBJECT_FULL_MARKS),
                    max(Decimal(0), Decimal(round(SUBJECT_FULL_MARKS * rng.gauss(level, 0.07)))),
                )
                for subject in DEMO_SUBJECTS
            }
            scores += [
                Score(student=student, semester=semester, subject=subject, score=mark)
                for subject, mark in marks.items()
            ]
            scores.append(
                Score(student=student, semester=semester, subject="", score=sum(marks.values()))
            )
    Score.objects.bulk_create(scores, batch_size=1000)


QUESTIONNAIRE_COMMENTS = (
    "老师经常找孩子谈心，孩子比以前开朗多了。",
    "谢谢老师的辅导，数学作业现在能按时完成了。",
    "希望老师多和我们家长沟通孩子在校的情况。",
    "老师家访时给了很多学习上的建议，很实用。",
    "孩子说老师像朋友一样，愿意把心里话告诉老师。",
    "希望假期也能有学习上的指导。",
)
OFFICE_COMMENTS = (
    "帮扶记录齐全，措施落实到位。",
    "谈心记录较完整，家访照片已核对。",
    "成绩数据已核对无误，同意提交。",
)


def _create_assessment(demo: _DemoSchool) -> None:
    """This semester's questionnaires (about half answered, some typed in from paper) and
    the teachers' assessment sheets: drafts, a third of them submitted to the principal."""
    rng = demo.rng("assessment")
    issued = questionnaires_issue(school=demo.school, semester=demo.current, by=demo.office)
    for questionnaire, token in issued:
        if rng.random() > 0.5:
            continue
        respondent = rng.choice(["student", "parent"])
        ratings = [rng.choices([2, 3, 4, 5], [1, 3, 6, 8])[0] for _n in range(5)]
        comment = rng.choice(QUESTIONNAIRE_COMMENTS) if rng.random() < 0.4 else ""
        if rng.random() < 0.3:
            questionnaire_enter(
                pairing=questionnaire.pairing,
                semester=demo.current,
                respondent=respondent,
                ratings=ratings,
                comment=comment,
                by=demo.office,
            )
        else:
            questionnaire_answer(
                token=token, respondent=respondent, ratings=ratings, comment=comment
            )
    sheets = sheets_compute(school=demo.school, semester=demo.current, by=demo.office)
    for sheet in sheets[: len(sheets) // 3]:
        sheet_submit(sheet=sheet, by=demo.office, comment=rng.choice(OFFICE_COMMENTS))
