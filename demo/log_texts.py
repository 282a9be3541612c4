"""What a teacher writes in a demo activity log: templates from demo/data/logs.json filled in
with the student's details and how the student is doing."""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from demo.school import COUNTY_NAME, Pupil, left_behind
from demo.texts import strings, texts
from pairing.models import Pairing
from students.models import Category, Semester, Student
from visits.models import ActivityLog, Channel, Kind, State

_LOGS = texts("logs")


def _by_state(table: dict[str, list[str]]) -> dict[State, tuple[str, ...]]:
    return {State(k): strings(notes) for k, notes in table.items()}


def _by_category(table: dict[str, list[str]]) -> dict[Category, tuple[str, ...]]:
    return {Category(k): strings(notes) for k, notes in table.items()}


def _by_family(table: dict[str, list[str]]) -> dict[bool, tuple[str, ...]]:
    """Keyed by whether the parents work far away."""
    return {True: strings(table["parents_away"]), False: strings(table["parents_home"])}


def _items(rows: list[list[Any]]) -> tuple[tuple[str, int, int], ...]:
    return tuple((name, low, high) for name, low, high in rows)


SPOKEN_RELATION: dict[str, str] = _LOGS["spoken_relation"]
MAIN_SUBJECTS = ("语文", "数学", "英语", "物理")
# Topics by subject and grade (七、八、九年级).
TOPICS = {
    subject: tuple(strings(topics) for topics in grades)
    for subject, grades in _LOGS["topics"].items()
}
STUDY_NOTES = _by_state(_LOGS["study_notes"])
LIFE_NOTES = _by_state(_LOGS["life_notes"])
MOOD_NOTES = _by_state(_LOGS["mood_notes"])
ADVICE = strings(_LOGS["advice"])
FOLLOW_UPS = strings(_LOGS["follow_ups"])
TALK_OPENINGS = strings(_LOGS["talk_openings"])
LEFT_BEHIND_TOPICS = strings(_LOGS["left_behind_topics"])
PARENT_CONTACTS = strings(_LOGS["parent_contacts"])
PARENT_TALKS = strings(_LOGS["parent_talks"])
PARENT_REPLIES = strings(_LOGS["parent_replies"])
GUARDIAN_AGREEMENTS = strings(_LOGS["guardian_agreements"])
POOR_TALK = strings(_LOGS["poor_talk"])
POOR_NEEDS = strings(_LOGS["poor_needs"])
# (item, lowest, highest price in yuan); winter items in term 1's cold months.
WINTER_ITEMS = _items(_LOGS["winter_items"])
STUDY_ITEMS = _items(_LOGS["study_items"])
AID_SOURCES = strings(_LOGS["aid_sources"])
CASH_SOURCES = strings(_LOGS["cash_sources"])
AID_THANKS = strings(_LOGS["aid_thanks"])
FAMILY_HOUSES = strings(_LOGS["family_houses"])
# Incomes and poverty causes (致贫原因) for families whose parents work far away, and for
# the others.
FAMILY_INCOMES = _by_family(_LOGS["family_incomes"])
POVERTY_CAUSES = _by_family(_LOGS["poverty_causes"])
# Only where the mother is the guardian.
WIDOWED_CAUSE: str = _LOGS["widowed_cause"]
HOME_LIFE_NOTES = strings(_LOGS["home_life_notes"])
AID_NEEDS = strings(_LOGS["aid_needs"])
STUDY_HOMES = strings(_LOGS["study_homes"])
TUTORING = strings(_LOGS["tutoring"])
DAILY_PLANS = strings(_LOGS["daily_plans"])
EXAM_LOSSES = strings(_LOGS["exam_losses"])
EXAM_PLANS = strings(_LOGS["exam_plans"])
EXAM_REMINDERS = strings(_LOGS["exam_reminders"])
TUTORING_TIMES = strings(_LOGS["tutoring_times"])
TUTORING_WORKS = strings(_LOGS["tutoring_works"])
TUTORING_FINDINGS = strings(_LOGS["tutoring_findings"])
PRAISES = strings(_LOGS["praises"])
WARNINGS = strings(_LOGS["warnings"])
HOPES = strings(_LOGS["hopes"])
EXCHANGE_REPORTS = strings(_LOGS["exchange_reports"])
EXCHANGE_AGREEMENTS = strings(_LOGS["exchange_agreements"])
REVIEW_PROGRESS = strings(_LOGS["review_progress"])
REVIEW_ISSUES = strings(_LOGS["review_issues"])
REVIEW_GOALS = strings(_LOGS["review_goals"])
LETTER_TOPICS = strings(_LOGS["letter_topics"])
LETTERS_SENT = strings(_LOGS["letters_sent"])
FESTIVAL_NOTES: dict[str, str] = _LOGS["festival_notes"]
OTHER_NOTES = _by_category(_LOGS["other_notes"])


@dataclass
class Helping:
    """One pairing while its logs are written: who, how diligent, how the student is doing."""

    pairing: Pairing
    pupil: Pupil
    student: Student
    diligence: float
    base: tuple[float, float, float]
    drift: float
    homeroom: Any


@dataclass
class LogText:
    """What a teacher writes in one log, from templates with the student's details."""

    rng: random.Random
    helping: Helping
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
            said = rng.choice(PARENT_REPLIES)
            talk = rng.choice(PARENT_TALKS).format(who=who, parent=parent)
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
            ask = rng.choice(GUARDIAN_AGREEMENTS)
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
        sent = self.rng.choice(LETTERS_SENT)
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
            thanks = rng.choice(AID_THANKS)
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
        away = left_behind(self.helping.pupil)
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
                f"{rng.choice(EXAM_REMINDERS)}。"
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
