"""Demo data for people trying AidCase: rural middle schools of one county in Guizhou, with
staff, classes, a full roster, category identifications and pairings for the current
semester and the one before.

Every kind of data has its own function and its own random stream (seeded from the run's
seed, the school code and the kind), so adding a kind later (activity logs, scores,
incidents) leaves what the existing kinds generate for a given seed unchanged.
"""

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

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

User = get_user_model()

MAX_SCHOOLS = 50
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
        accounts.extend(_accounts_of(demo))
    return accounts


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
    town = TOWNS[index % len(TOWNS)]
    # Past the list of towns, a town gets its second school.
    suffix = "中学" if index < len(TOWNS) else "第二中学"
    school = school_create(code=code, name=f"{COUNTY_NAME}{town}{suffix}", county_name=COUNTY_NAME)
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
    if rng.random() < 0.05:
        options = [c for c in LEFT_CATEGORY_WEIGHTS if c not in current]
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
