"""Fuzzing every POST route as every role, on both databases: never a 5xx, never someone else's data.

The routes come from `app.url_map`, so a new POST route is fuzzed without touching this file.
Each test function builds one small world (two instructors with a class each, two learners
with finished and unfinished attempts, practice attempts, site and uploaded sets), then lets
Hypothesis send batches of random and malformed requests as one role, each from a fresh
browser holding that role's session. Before and after each request it takes a snapshot of
everything that belongs to someone other than the actor and compares: a change there is a bug
whatever the status code was.
"""
from __future__ import annotations

import io
import os
import re
import reprlib
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from quiz import accounts, models
from quiz.db import db
from quiz.importer import import_paths, import_set
from quiz.sets import load_set

from support import SAMPLE_SET, csrf_token

ROLES = ["anonymous", "learner_a", "learner_b", "instructor", "other_instructor"]
TEACHER_PASSWORD = "teacher-password"
LEARNER_PASSWORD = "learner-password"
OUR_CODE, THEIR_CODE = "K7QXM2PA", "OTHERS23"
# FUZZ_EXAMPLES=500 for a longer hunt; failures are kept in .hypothesis/ and replayed first next time.
# No shrinking: it replays batches against a world that has moved on, and can take Hypothesis's
# full five minutes; the failure message already names the one request that failed, in full.
FUZZ = settings(deadline=None, max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

RIGHT = [{"label": "fact"}, {"option": "a"}, {"word": ["3", "4", "7", "8", "9"]},
         {"item-0": "fact", "item-1": "opinion"}]
WRONG = [{"label": "opinion"}, {"option": "b"}, {"word": ["0"]}, {"item-0": "commentary", "item-1": "fact"}]


def set_file(slug: str, visibility: str = "classes", first_answer: str = "fact") -> str:
    """The sample set under another id; `first_answer` changes the key of its first question."""
    text = SAMPLE_SET.replace("id: sample\n", f"id: {slug}\nvisibility: {visibility}\n", 1)
    return text.replace("    answer: fact\n", f"    answer: {first_answer}\n", 1)


# -- the world -----------------------------------------------------------------------------------

@dataclass
class Actor:
    role: str
    user_id: Optional[int]        # None: signed out
    practice_token: Optional[str]  # the signed-out browser's practice token
    cookie: str                   # the session cookie, signed in and holding a CSRF secret
    csrf: str                     # a valid CSRF token for that session, read from a page


@dataclass
class World:
    actors: dict[str, Actor]
    users: dict[str, int]
    classes: dict[str, int]
    attempts: dict[str, int]
    slugs: list[str]
    int_ids: dict[str, list[int]] = field(default_factory=dict)
    strategies: dict[tuple, Any] = field(default_factory=dict, repr=False)


class Browser:
    """A test client that reads a CSRF token from a page once and sends it with every form."""

    def __init__(self, app, page: str = "/login"):
        self.client = app.test_client()
        self.page = page
        self.token = csrf_token(self.client, page)

    def post(self, url: str, data: dict, fresh_session: bool = False):
        response = self.client.post(url, data=dict(data, csrf_token=self.token))
        assert response.status_code == 302, (url, response.status_code, response.get_data(as_text=True)[:500])
        if fresh_session:  # signing in starts a new session, with a new CSRF secret
            self.token = csrf_token(self.client, self.page)
        return response

    def start(self, slug: str) -> str:
        return self.post(f"/sets/{slug}/start", {}).headers["Location"].split("?")[0]

    def answer(self, url: str, position: int, fields: dict) -> None:
        """Immediate feedback comes as the reply (200); an answer saved for later redirects."""
        response = self.client.post(url, data=dict(fields, position=str(position), csrf_token=self.token))
        assert response.status_code == 302 or (response.status_code == 200 and 'id="feedback"' in response.get_data(
            as_text=True)), (url, response.status_code)


def attempt_id(url: str) -> int:
    return int(url.strip("/").split("/")[-1])


def build_world(app, tmp_path) -> World:
    """Two instructors, each with a class and an uploaded set; learners A (our class) and B (both
    classes) with a finished and an unfinished attempt each; two signed-out practice attempts."""
    sample = tmp_path / "sample.yaml"
    sample.write_text(SAMPLE_SET, encoding="utf-8")
    with app.app_context():
        assert import_paths(db.session, [sample]).new
        teacher = accounts.create_user(db.session, "teacher", TEACHER_PASSWORD, role="instructor")
        stranger = accounts.create_user(db.session, "stranger", TEACHER_PASSWORD, role="instructor")
        for owner, slug in ((teacher, "t-set"), (stranger, "s-set")):
            loaded = load_set(set_file(slug).encode(), f"{slug}.yaml")
            import_set(db.session, loaded, origin="upload", path=f"{slug}.yaml", owner_id=owner.id)
        sets = {s.slug: s for s in db.session.scalars(select(models.QuestionSet))}
        ours = models.Classroom(name="Year 9", join_code=OUR_CODE)
        ours.instructors.append(teacher)
        theirs = models.Classroom(name="Not yours", join_code=THEIR_CODE)
        theirs.instructors.append(stranger)
        db.session.add_all([ours, theirs])
        db.session.flush()
        for classroom, slugs in ((ours, ["sample", "t-set"]), (theirs, ["sample", "s-set"])):
            for slug in slugs:
                db.session.add(models.Assignment(classroom_id=classroom.id, set_id=sets[slug].id))
        db.session.commit()
        classes = {"ours": ours.id, "theirs": theirs.id}
        users = {"teacher": teacher.id, "stranger": stranger.id}

    alice, bob = Browser(app, "/join"), Browser(app, "/join")
    for browser, name, code in ((alice, "alice", OUR_CODE), (bob, "bob", THEIR_CODE)):
        browser.post("/join", {"code": code, "username": name, "password": LEARNER_PASSWORD,
                               "confirm": LEARNER_PASSWORD}, fresh_session=True)
    bob.post("/join", {"code": OUR_CODE})
    attempts = {}
    for name, browser, answers, unfinished in (("alice", alice, RIGHT, "t-set"), ("bob", bob, WRONG, "s-set")):
        url = browser.start("sample")
        for position, fields in enumerate(answers):
            browser.answer(url, position, fields)
        browser.post(url + "finish", {})
        attempts[f"{name}-finished"] = attempt_id(url)
        url = browser.start(unfinished)
        browser.answer(url, 0, answers[0])
        attempts[f"{name}-unfinished"] = attempt_id(url)
    anonymous, passer_by = Browser(app), Browser(app)
    for name, browser in (("anonymous", anonymous), ("passer-by", passer_by)):
        url = browser.start("sample")
        browser.answer(url, 0, RIGHT[0])
        attempts[f"{name}-practice"] = attempt_id(url)
    teacher, stranger = Browser(app), Browser(app)
    teacher.post("/login", {"username": "teacher", "password": TEACHER_PASSWORD}, fresh_session=True)
    stranger.post("/login", {"username": "stranger", "password": TEACHER_PASSWORD}, fresh_session=True)
    with app.app_context():
        for name in ("alice", "bob"):
            users[name] = accounts.find_user(db.session, name).id
        token = db.session.get(models.Attempt, attempts["anonymous-practice"]).practice_token
    actors = {}
    for role, browser, user_id in (
            ("anonymous", anonymous, None), ("learner_a", alice, users["alice"]), ("learner_b", bob, users["bob"]),
            ("instructor", teacher, users["teacher"]), ("other_instructor", stranger, users["stranger"])):
        actors[role] = Actor(role, user_id, token if user_id is None else None,
                             browser.client.get_cookie("session").value, browser.token)
    world = World(actors, users, classes, attempts, ["sample", "t-set", "s-set"])
    world.int_ids = {"class_id": sorted(classes.values()), "user_id": sorted(users.values()),
                     "attempt_id": sorted(attempts.values())}
    return world


# -- what belongs to whom ------------------------------------------------------------------------

def rows(statement) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.session.execute(statement)]


def snapshot(app) -> dict[str, Any]:
    """Every row a request could change, grouped by what it belongs to."""
    with app.app_context():
        users = {r["id"]: r for r in rows(select(models.User.__table__))}
        classes = {r["id"]: {"row": r, "instructors": set(), "assignments": [], "members": {}}
                   for r in rows(select(models.Classroom.__table__))}
        for r in rows(select(models.classroom_instructors)):
            classes[r["classroom_id"]]["instructors"].add(r["user_id"])
        for r in rows(select(models.Assignment.__table__).order_by(models.Assignment.id)):
            classes[r["classroom_id"]]["assignments"].append(r)
        for r in rows(select(models.Membership.__table__)):
            classes[r["classroom_id"]]["members"][r["user_id"]] = r
        sets = {r["id"]: {"row": r, "questions": {}, "versions": {}}
                for r in rows(select(models.QuestionSet.__table__))}
        question_set = {}
        for r in rows(select(models.Question.__table__)):
            sets[r["set_id"]]["questions"][r["id"]] = r
            question_set[r["id"]] = r["set_id"]
        version_set = {}
        for r in rows(select(models.QuestionVersion.__table__)):
            sets[question_set[r["question_id"]]]["versions"][r["id"]] = r
            version_set[r["id"]] = question_set[r["question_id"]]
        attempts = {r["id"]: {"row": r, "items": {}} for r in rows(select(models.Attempt.__table__))}
        items = {}
        for r in rows(select(models.AttemptItem.__table__)):
            items[r["id"]] = attempts[r["attempt_id"]]["items"][r["id"]] = {
                "row": r, "answer": None, "choices": [], "set": version_set.get(r["version_id"])}
        answers = {}
        for r in rows(select(models.Answer.__table__)):
            items[r["item_id"]]["answer"] = r
            answers[r["id"]] = items[r["item_id"]]
        for r in rows(select(models.LabelChoice.__table__).order_by(models.LabelChoice.id)):
            answers[r["answer_id"]]["choices"].append(r)
        resets = {r["id"]: r for r in rows(select(models.PasswordReset.__table__))}
        db.session.remove()
    return {"users": users, "classes": classes, "sets": sets, "attempts": attempts, "resets": resets}


def without_regrade(attempt: dict[str, Any], set_id: int) -> dict[str, Any]:
    """An attempt with what a regrade of one set may change left out: the item's version, the
    answer's points, text and label rows, the attempt's total."""
    items = {}
    for item_id, item in attempt["items"].items():
        if item["set"] == set_id:
            answer_row = item["answer"] and {k: v for k, v in item["answer"].items()
                                             if k not in ("points", "response_text")}
            item = {"row": {k: v for k, v in item["row"].items() if k != "version_id"}, "answer": answer_row}
        items[item_id] = item
    return {"row": {k: v for k, v in attempt["row"].items() if k != "points"}, "items": items}


def changes_to_others(before: dict, after: dict, actor: Actor, endpoint: Optional[str],
                      regraded_slug: Optional[str]) -> list[str]:
    """What changed that does not belong to the actor (and is not theirs to change)."""
    me = actor.user_id
    problems: list[str] = []
    known_users = set(before["users"])

    for uid, row in before["users"].items():
        if uid != me and after["users"].get(uid) != row:
            problems.append(f"user {row['username']!r} changed: {row} -> {after['users'].get(uid)}")
    for uid, row in after["users"].items():
        if uid not in known_users and (row["role"] != "learner" or me is not None):
            problems.append(f"new user {row['username']!r} (role {row['role']}) made by a signed-in actor "
                            f"or with a role other than learner")

    mine = {cid for cid, c in before["classes"].items() if me is not None and me in c["instructors"]}
    active_in_mine = {uid for cid in mine for uid, m in before["classes"][cid]["members"].items()
                      if m["removed_at"] is None}

    def others_members(classroom: dict) -> dict:
        """Members other than the actor; a brand-new account is the actor (joined by this request)."""
        return {uid: m for uid, m in classroom["members"].items() if uid != me and uid in known_users}

    for cid, c in before["classes"].items():
        a = after["classes"].get(cid)
        if a is None:
            problems.append(f"class {cid} ({c['row']['name']!r}) was deleted")
            continue
        if cid in mine:
            # the actor teaches it: name, code, archive, assignments and removals are theirs to change
            for uid, m in others_members(c).items():
                m_after = a["members"].get(uid)
                if (m_after is None or m_after["joined_at"] != m["joined_at"]
                        or (m["removed_at"] is not None and m_after["removed_at"] != m["removed_at"])):
                    problems.append(f"membership of user {uid} in own class {cid} changed beyond a removal: "
                                    f"{m} -> {m_after}")
            for uid in set(others_members(a)) - set(others_members(c)):
                problems.append(f"user {uid} was put into class {cid} by someone else")
        else:
            mine_stripped = {**c, "members": others_members(c)}
            after_stripped = {**a, "members": others_members(a)}
            if mine_stripped != after_stripped:
                problems.append(f"another instructor's class {cid} changed: {mine_stripped} -> {after_stripped}")
    for cid, a in after["classes"].items():
        if cid not in before["classes"] and (me is None or a["instructors"] != {me}):
            problems.append(f"new class {cid} whose instructors are {a['instructors']}, not the actor {me}")

    for sid, s in before["sets"].items():
        if me is not None and s["row"]["owner_id"] == me:
            continue  # the actor's own upload
        if after["sets"].get(sid) != s:
            problems.append(f"set {s['row']['slug']!r} (owner {s['row']['owner_id']}) changed by user {me}")
    for sid, s in after["sets"].items():
        if sid not in before["sets"] and (me is None or s["row"]["owner_id"] != me or s["row"]["origin"] != "upload"):
            problems.append(f"new set {s['row']['slug']!r} not owned by the actor: {s['row']}")

    def own(attempt_row: dict) -> bool:
        if me is not None:
            return attempt_row["user_id"] == me
        return attempt_row["user_id"] is None and attempt_row["practice_token"] == actor.practice_token

    # The owner of a set may regrade it (DESIGN.md: /teach/sets/<id>/ "regrade (the set's owner
    # only)"): that may move answers of the set to its current version and re-score them, nothing more.
    regraded = None
    if endpoint == "teach.regrade" and regraded_slug is not None and me is not None:
        regraded = next((sid for sid, s in after["sets"].items()
                         if s["row"]["slug"] == regraded_slug and s["row"]["owner_id"] == me), None)
    # Taking back an assignment of one's own class detaches its attempts (they stay their learners'),
    # and changes nothing else in them.
    taken_back = {a["id"] for cid in mine for a in before["classes"][cid]["assignments"]} - {
        a["id"] for c in after["classes"].values() for a in c["assignments"]}
    for aid, attempt in before["attempts"].items():
        if own(attempt["row"]):
            continue
        attempt_after = after["attempts"].get(aid)
        if (attempt_after is not None and attempt["row"]["assignment_id"] in taken_back
                and attempt_after["row"]["assignment_id"] is None):
            attempt_after = {**attempt_after, "row": {**attempt_after["row"],
                                                      "assignment_id": attempt["row"]["assignment_id"]}}
        if attempt_after is not None and regraded is not None:
            attempt, attempt_after = without_regrade(attempt, regraded), without_regrade(attempt_after, regraded)
        if attempt_after != attempt:
            problems.append(f"someone else's attempt {aid} changed: {attempt} -> {attempt_after}")
    known_tokens = {a["row"]["practice_token"] for a in before["attempts"].values()} - {None}
    for aid, attempt in after["attempts"].items():
        # A signed-in actor whose earlier request signed out (logout ends every session of the
        # account) is a signed-out browser now: practice it starts gets a new token, its own.
        fresh_practice = attempt["row"]["user_id"] is None and attempt["row"]["practice_token"] not in known_tokens
        if aid not in before["attempts"] and not own(attempt["row"]) and not fresh_practice:
            problems.append(f"new attempt {aid} for someone else: {attempt['row']}")

    for rid, row in before["resets"].items():
        if row["user_id"] != me and after["resets"].get(rid) != row:
            problems.append(f"reset code {rid} of user {row['user_id']} changed: {row} -> {after['resets'].get(rid)}")
    for rid, row in after["resets"].items():
        if rid not in before["resets"] and (row["created_by_id"] != me or row["user_id"] not in active_in_mine):
            problems.append(f"reset code made by {row['created_by_id']} for user {row['user_id']}, "
                            f"who is not a learner in a class the actor {me} teaches")
    return problems


# -- the requests --------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
NONSENSE_INTS = [0, 1, 2, 3, 17, 999999, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30]
NONSENSE_INT_TEXT = ["-1", "abc", "1.0", "0x1", "1e3", "\u0663", " 1", "%00", "1;DROP TABLE users"]
NONSENSE_SLUGS = ["nonexistent", "..", "../", "%2e%2e", "SAMPLE", "sample ", "sample\x00", "a" * 300,
                  "\u00fcmlaut", "\U0001F642", "<script>", "sample/../t-set", "*", "%"]
NUMBERS = ["0", "1", "2", "3", "4", "99", "-1", "-0", "+1", "1.5", "1e9", "NaN", "inf", "0x10", " 1", "1 ",
           "\u0663", "\u00b2", "\u00b9\u2070", "\u2167", "99999999999999999999", "9223372036854775808",
           "-9223372036854775809", "00000000000000000001", "1_000"]
WORDS = ["fact", "opinion", "commentary", "FACT", " fact", "a", "b", "c", "z", "A", "aa", "close", "regenerate",
         "after", "immediate", "best", "last", "first", "worst", "y", "on", "true", "false", "None", "null",
         "[]", "{}", "\x00", "", " "]
DATES = ["2025-01-01T10:00", "2030-06-01T08:30", "2025-13-45T25:61", "0001-01-01T00:00", "9999-12-31T23:59",
         "2025-01-01", "yesterday", "2025-01-01T10:00:00Z", "1970-01-01T00:00"]
NEXTS = ["/", "/teach/", "//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
         "/teach/\x00", "\\\\evil.example", "/%2F/evil.example", " //evil.example", "\t//evil.example"]
QUERIES = [None, None, None, "next=//evil.example/", "next=https://evil.example/", "next=/teach/",
           "next=/%0d%0aSet-Cookie:x", "q=%C2%B2", "q=99999999999999999999", "code=\x00", "next=%00"]
GENERIC_FIELDS = ["position", "label", "option", "word", "item-0", "item-1", "item-2", "item-99", "item--1",
                  "username", "password", "confirm", "current", "code", "name", "do", "next", "set_id",
                  "feedback", "attempts_allowed", "counts", "opens_at", "closes_at", "shuffle", "submit", "file",
                  "tz-timezone"]
# Forms with a prefix carry their own CSRF field besides the one CSRFProtect reads
PREFIXES = {"auth.set_timezone": "tz-"}

# The fields a real browser sends to each endpoint; an endpoint not named here (a new route)
# gets a random pick of every field name the app knows.
FORMS: dict[str, list[str]] = {
    "auth.login": ["username", "password"],
    "auth.logout": [],
    "auth.join": ["code", "username", "password", "confirm"],
    "auth.account": ["current", "password", "confirm"],
    "auth.reset": ["username", "code", "password", "confirm"],
    "auth.set_timezone": ["tz-timezone"],
    "learn.start": [],
    "learn.take": ["position", "label", "option", "word", "item-0", "item-1"],
    "learn.finish": [],
    "learn.practise_mistakes": [],
    "teach.hide_names": ["next"],
    "teach.home": ["name"],
    "teach.rename": ["name"],
    "teach.archive": [],
    "teach.join_code": ["do"],
    "teach.add_coteacher": ["username"],
    "teach.remove_learner": [],
    "teach.reset_code": [],
    "teach.assign": ["set_id", "feedback", "attempts_allowed", "counts", "opens_at", "closes_at", "shuffle"],
    "teach.sets": ["file"],
    "teach.regrade": [],
    "teach.hide_set": [],
}


def huge() -> st.SearchStrategy[str]:
    """One character repeated up to about 100 KB (in UTF-8)."""
    return st.sampled_from(["A", "\u00e9", "\x00", "\U0001F642", "0", "9", "1 ", "<b>", "\u202e", "%"]).flatmap(
        lambda c: st.integers(1000, 100_000 // len(c.encode())).map(lambda n: c * n))


control_text = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=20)


def once_per_world(build):
    """Strategies are built once per world, not on every draw (set_files makes a 1 MB file)."""
    def get(world: World, *args):
        key = (build.__name__, *args)
        if key not in world.strategies:
            world.strategies[key] = build(world, *args)
        return world.strategies[key]
    get.__doc__ = build.__doc__
    return get


@once_per_world
def nasty(world: World) -> st.SearchStrategy[str]:
    """Any value at all: numbers as text, unicode, control characters, huge values, real ids."""
    ids = [str(i) for ids in world.int_ids.values() for i in ids]
    names = list(world.users) + [n.upper() for n in world.users] + [f" {n} " for n in world.users]
    return st.one_of(st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.sampled_from(DATES),
                     st.sampled_from(ids + names + world.slugs + [OUR_CODE, THEIR_CODE]),
                     st.text(max_size=40), control_text, huge(),
                     st.integers(-(2**70), 2**70).map(str), st.floats().map(str))


@once_per_world
def set_files(world: World) -> st.SearchStrategy[bytes]:
    """Set files to upload: valid ones under every id the world has (others' ids among them), a key
    fix of the instructor's own set, broken YAML, YAML bombs, random bytes and mutations."""
    valid = [set_file(slug).encode() for slug in world.slugs + ["brand-new", "mine-too"]]
    valid += [set_file("t-set", first_answer="opinion").encode(), set_file("s-set", first_answer="opinion").encode(),
              set_file("sample", visibility="public").encode(), SAMPLE_SET.encode()]
    broken = [b"", b"\x00\x01\x02", b"\xff\xfe\xfd", b"format: 1\n", b"- a\n- b\n", b"a: &a [*a, *a]\nb: *a\n",
              b"[" * 5000 + b"]" * 5000, b"format: 1\nid: x\ntitle: !!python/object/apply:os.system ['id']\n",
              ("format: 1\nid: big\ntitle: " + "x" * 1_100_000 + "\n").encode()[:1_200_000],
              SAMPLE_SET.replace("format: 1", "format: 2").encode(), SAMPLE_SET.encode("utf-16")]
    mutated = st.tuples(st.sampled_from(valid), st.integers(0, len(SAMPLE_SET)), st.integers(0, 200),
                        st.binary(max_size=40)).map(lambda t: t[0][:t[1]] + t[3] + t[0][t[1] + t[2]:])
    return st.one_of(st.sampled_from(valid), st.sampled_from(broken), mutated, st.binary(max_size=2000))


@once_per_world
def file_value(world: World) -> st.SearchStrategy[tuple]:
    names = st.one_of(st.sampled_from(["set.yaml", "t-set.yaml", "", "../../etc/passwd", "a\x00.yaml",
                                       "x" * 600 + ".yaml", "\U0001F642.yaml", "con.yaml"]), st.text(max_size=30))
    return st.tuples(set_files(world), names)


@once_per_world
def plausible(world: World, name: str) -> st.SearchStrategy:
    """What a browser might really send in a field."""
    usernames = list(world.users) + ["Alice", " bob ", "newcomer", "new.learner_2", "x", "-dash"]
    pools: dict[str, st.SearchStrategy] = {
        "username": st.sampled_from(usernames),
        "password": st.sampled_from([LEARNER_PASSWORD, TEACHER_PASSWORD, "another-password", "short", ""]),
        "confirm": st.sampled_from([LEARNER_PASSWORD, "another-password", "different-password"]),
        "current": st.sampled_from(["wrong-password", "", "x" * 201]),  # never the real one: keeps the role
        "code": st.sampled_from([OUR_CODE, THEIR_CODE, OUR_CODE.lower(), "K7QX-M2PA", "OTHE RS23", "NOPE2345"]),
        "position": st.sampled_from(["0", "1", "2", "3"]),
        "label": st.sampled_from(["fact", "opinion", "commentary"]),
        "option": st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=3),
        "word": st.lists(st.sampled_from([str(n) for n in range(12)]), max_size=6),
        "name": st.text(min_size=1, max_size=100),
        "do": st.sampled_from(["close", "regenerate"]),
        "next": st.sampled_from(NEXTS),
        "set_id": st.sampled_from(world.slugs),
        "feedback": st.sampled_from(["immediate", "after"]),
        "counts": st.sampled_from(["best", "last", "first"]),
        "attempts_allowed": st.sampled_from(["", "1", "3", "100", "0", "101"]),
        "opens_at": st.sampled_from(DATES + [""]),
        "closes_at": st.sampled_from(DATES + [""]),
        "shuffle": st.sampled_from(["y", "on", ""]),
        "file": file_value(world),
        "tz-timezone": st.sampled_from(["", "UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Mars/Olympus",
                                        "../../etc/localtime", "utc", "Europe/Paris\x00", "EST5EDT", "localtime"]),
    }
    if name.startswith("item-"):
        return st.sampled_from(["fact", "opinion", "commentary"])
    return pools.get(name, nasty(world))


POISON = ["\x00", "\r\n", "\n", "\t", "\x1b[2J", "\u202e", "\ufeff", "\u0000\u0000", "%00", "'", "\"", "\\",
          "{{ 7*7 }}", "<script>", "\U0001F642", "e\u0301"]


def poison(value: Any) -> st.SearchStrategy:
    """The value with something awkward put inside it (a file's name, for a file)."""
    def inside(text: str) -> st.SearchStrategy[str]:
        return st.tuples(st.integers(0, len(text)), st.sampled_from(POISON)).map(
            lambda t: text[:t[0]] + t[1] + text[t[0]:])
    if isinstance(value, tuple):
        return inside(value[1]).map(lambda name: (value[0], name))
    if isinstance(value, list):
        return inside(value[0]).map(lambda first: [first] + value[1:]) if value else st.just(value)
    return inside(str(value))


@dataclass
class Request:
    url: str
    endpoint: Optional[str]
    query: Optional[str]
    pairs: list[tuple[str, Any]]   # form fields in order, keys may repeat
    raw: Optional[tuple[bytes, str]]  # a raw body and its content type, instead of a form
    multipart: bool
    slug: Optional[str]

    def __repr__(self) -> str:
        short = reprlib.Repr()  # Python 3.11's takes no keyword arguments
        short.maxstring, short.maxother, short.maxlist = 80, 80, 12
        pairs = [(k, (short.repr(v[0]), short.repr(v[1])) if isinstance(v, tuple) else short.repr(v))
                 for k, v in self.pairs]
        raw = None if self.raw is None else (short.repr(self.raw[0]), self.raw[1])
        return (f"POST {self.url!r} query={self.query!r} multipart={self.multipart} raw={raw} "
                f"fields={pairs}")

    def send(self, client):
        kwargs: dict[str, Any] = {"query_string": self.query}
        if self.raw is not None:
            kwargs["data"], kwargs["content_type"] = self.raw
        else:
            data = MultiDict()
            for key, value in self.pairs:
                data.add(key, (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value)
            kwargs["data"] = data
            if self.multipart:
                kwargs["content_type"] = "multipart/form-data"
        return client.post(self.url, **kwargs)


def post_rules(app) -> list:
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    assert len(rules) >= 20, [rule.rule for rule in rules]  # the app's POST routes, found
    return sorted(rules, key=lambda rule: rule.rule)


@st.composite
def requests(draw, world: World, rules: list, actor: Actor, others: list[Actor]) -> Request:
    rule = draw(st.sampled_from(rules))
    slug = None

    def fill(match: re.Match) -> str:
        nonlocal slug
        converter, name = match.group("converter"), match.group("name")
        kind = draw(st.sampled_from(["real"] * 4 + ["nonsense", "text"]))  # mostly the world's own ids
        if converter in ("int", "float"):
            real = world.int_ids.get(name) or sorted({i for ids in world.int_ids.values() for i in ids})
            value = draw({"real": st.sampled_from(real), "nonsense": st.sampled_from(NONSENSE_INTS),
                          "text": st.sampled_from(NONSENSE_INT_TEXT)}[kind])
        else:
            value = draw({"real": st.sampled_from(world.slugs), "nonsense": st.sampled_from(NONSENSE_SLUGS),
                          "text": st.text(min_size=1, max_size=30)}[kind])
            slug = str(value)
        return quote(str(value), safe="")

    url = PLACEHOLDER.sub(fill, rule.rule)
    names = FORMS.get(rule.endpoint)
    if names is None:  # a route this file does not know yet: any of the app's field names
        names = draw(st.lists(st.sampled_from(GENERIC_FIELDS), max_size=8, unique=True))
    pairs: list[tuple[str, Any]] = []
    for name in names:
        kind = draw(st.sampled_from(["plausible"] * 5 + ["poisoned"] * 2 + ["nasty"] * 2 + ["missing"]))
        if kind == "missing":
            continue
        value = draw(nasty(world) if kind == "nasty" else plausible(world, name))
        if kind == "poisoned":  # a real value with a NUL, a line break, a bidi override... inside
            value = draw(poison(value))
        values = value if isinstance(value, list) else [value]
        if draw(st.integers(0, 9)) == 0:
            values = values + [draw(nasty(world))]
        pairs.extend((name, v) for v in values)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.one_of(st.sampled_from(GENERIC_FIELDS), st.text(max_size=12)))
        value = draw(st.one_of(nasty(world), file_value(world)) if key == "file" else nasty(world))
        pairs.append((key, value))
    pairs = draw(st.permutations(pairs)) if len(pairs) < 8 else pairs

    csrf = draw(st.sampled_from(["valid"] * 8 + ["missing", "forged", "someone else's", "valid then forged",
                                                  "forged then valid", "tampered"]))
    tokens = {"valid": [actor.csrf], "missing": [], "forged": ["forged"],
              "someone else's": [others[0].csrf], "valid then forged": [actor.csrf, "forged"],
              "forged then valid": ["forged", actor.csrf], "tampered": [actor.csrf[:-2] + "xx"]}[csrf]
    prefix = PREFIXES.get(rule.endpoint, "")
    pairs = [(name, t) for t in tokens for name in ["csrf_token"] + ([prefix + "csrf_token"] if prefix else [])] + pairs

    raw = None
    shape = draw(st.sampled_from(["form"] * 8 + ["multipart", "raw"]))
    if shape == "raw":
        body = draw(st.one_of(
            st.binary(max_size=300),
            st.sampled_from([b"%zz&=&&a=%ff%fe", b"csrf_token=&position=%00", b"{\"position\": 0}",
                             b"--boundary\r\nbroken", b"a=" + b"b" * 100_000, b"&" * 10_000]),
        ))
        body = f"csrf_token={quote(actor.csrf)}&".encode() + body if draw(st.booleans()) else body
        content_type = draw(st.sampled_from([
            "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=boundary",
            "application/json", "text/plain", "application/octet-stream", "",
            "application/x-www-form-urlencoded; charset=latin-1"]))
        raw = (body, content_type)
    query = draw(st.sampled_from(QUERIES))
    return Request(url, rule.endpoint, query, pairs, raw, shape == "multipart", slug)


def assert_sound(response, request: Request, role: str) -> None:
    status = response.status_code
    assert status < 500, f"{role}: {request!r} answered {status}"
    assert status != 403, f"{role}: {request!r} answered 403; someone else's things answer 404 (DESIGN.md)"
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", ""))
        assert location.netloc in ("", "localhost") and location.scheme in ("", "http"), \
            f"{role}: {request!r} redirects off the site to {response.headers['Location']!r}"


# -- the fuzz tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_fuzz_every_post_route(app, tmp_path, role):
    world = build_world(app, tmp_path)
    actor = world.actors[role]
    others = [a for r, a in world.actors.items() if r != role]
    rules = post_rules(app)

    def send(request: Request):
        client = app.test_client()
        client.set_cookie("session", actor.cookie)  # a fresh browser in the role each time
        try:
            response = request.send(client)
        except Exception as error:  # TESTING propagates exceptions: each is a 500 in production
            raise AssertionError(f"{role}: {request!r} raised {error!r}") from error
        assert_sound(response, request, role)
        return response

    @FUZZ
    @given(batch=st.lists(requests(world, rules, actor, others), min_size=1, max_size=4))
    def fuzz(batch: list[Request]) -> None:
        before = snapshot(app)
        for request in batch:
            status = send(request).status_code
            after = snapshot(app)
            problems = changes_to_others(before, after, actor, request.endpoint, request.slug)
            assert not problems, f"{role}: {request!r} answered {status} and changed others' data:\n" + \
                "\n".join(problems)
            before = after

    fuzz()


def test_the_world_is_what_the_fuzz_tests_assume(app, tmp_path):
    """The snapshot sees each actor's things, and an honest change by someone else is caught."""
    world = build_world(app, tmp_path)
    before = snapshot(app)
    assert len(before["attempts"]) == 6 and len(before["classes"]) == 2 and len(before["sets"]) == 3
    alice = world.actors["learner_a"]
    with app.app_context():
        bobs = db.session.get(models.Attempt, world.attempts["bob-finished"])
        bobs.points = 3.5
        db.session.commit()
    problems = changes_to_others(before, snapshot(app), alice, None, None)
    assert len(problems) == 1 and f"attempt {world.attempts['bob-finished']}" in problems[0]
    bob = world.actors["learner_b"]
    assert changes_to_others(before, snapshot(app), bob, None, None) == []
    # each actor's session is signed in as that actor and its token is accepted
    for role, actor in world.actors.items():
        client = app.test_client()
        client.set_cookie("session", actor.cookie)
        page = client.get("/account")
        assert page.status_code == (302 if actor.user_id is None else 200), role
        refused = client.post("/teach/", data={"name": "x"})  # no token: refused before anything else
        assert refused.status_code == 400, role


def test_what_people_may_change_is_not_flagged(app, tmp_path):
    """The owner's own changes pass the check, so a failure in the fuzz tests is never noise: an
    instructor fixes the key of their set and regrades (which re-scores a learner's answer),
    removes a learner, makes a reset code, renames the class; a learner joins another class; a
    learner signs out and practises in the same browser."""
    world = build_world(app, tmp_path)
    teacher = world.actors["instructor"]
    ours, alice, bob = world.classes["ours"], world.users["alice"], world.users["bob"]
    fixed = (set_file("t-set", first_answer="opinion").encode(), "t-set.yaml")
    steps = [
        (teacher, "/teach/sets/", {"file": fixed}, None),
        (teacher, "/teach/sets/t-set/regrade", {}, "teach.regrade"),
        (teacher, f"/teach/classes/{ours}/learners/{bob}/remove", {}, None),
        (teacher, f"/teach/classes/{ours}/learners/{alice}/reset", {}, None),
        (teacher, f"/teach/classes/{ours}/rename", {"name": "Year 10"}, None),
        (teacher, f"/teach/classes/{ours}/coteachers", {"username": "stranger"}, None),
        (world.actors["learner_a"], "/join", {"code": THEIR_CODE}, None),
        # signing out ends every session of the account: the same browser then practises signed out
        (world.actors["learner_b"], "/logout", {}, None),
        (world.actors["learner_b"], "/sets/sample/start", {}, None),
    ]
    for actor, path, data, endpoint in steps:
        client = app.test_client()
        client.set_cookie("session", actor.cookie)
        form = MultiDict({"csrf_token": actor.csrf})
        for key, value in data.items():
            form.add(key, (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value)
        before = snapshot(app)
        response = client.post(path, data=form)
        assert response.status_code in (200, 302), (path, response.status_code)
        assert changes_to_others(before, snapshot(app), actor, endpoint, "t-set" if endpoint else None) == [], path
        if endpoint == "teach.regrade":  # the exemption was needed: alice's answer was re-scored
            answer_before = before["attempts"][world.attempts["alice-unfinished"]]["items"]
            answer_after = snapshot(app)["attempts"][world.attempts["alice-unfinished"]]["items"]
            assert [i["answer"]["points"] for i in answer_before.values() if i["answer"]] == [1.0]
            assert [i["answer"]["points"] for i in answer_after.values() if i["answer"]] == [0.0]
            assert changes_to_others(before, snapshot(app), actor, None, None) != []


# -- GET routes with nonsense ids ----------------------------------------------------------------

NONSENSE_PAGES = ["/attempts/999999/", "/attempts/-1/", "/teach/classes/abc/", "/sets/..%2f/"]


@pytest.mark.parametrize("role", ["anonymous", "learner_a", "instructor"])
def test_nonsense_ids_in_get_routes_answer_404(app, tmp_path, role):
    world = build_world(app, tmp_path)
    client = app.test_client()
    client.set_cookie("session", world.actors[role].cookie)
    for path in NONSENSE_PAGES:
        # Werkzeug merges the slashes of /sets/..%2f/ (decoded /sets/..//) with a 308 to /sets/../;
        # wherever the redirects lead, the end is a 404
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 404, (role, path, [r.request.path for r in response.history])


@pytest.mark.parametrize("role", ["anonymous", "learner_a", "instructor"])
def test_every_get_route_with_nonsense_ids_never_fails(app, tmp_path, role):
    """Every GET route with an argument, each argument nonsense: never a 5xx, a 403 or a 200."""
    world = build_world(app, tmp_path)
    client = app.test_client()
    client.set_cookie("session", world.actors[role].cookie)
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or not rule.arguments or rule.endpoint == "static":
            continue
        for value in ["999999", "0", "-1", "abc", str(2**31), str(2**63), str(10**30), "..%2f", "%00", "\u00b2"]:
            path = PLACEHOLDER.sub(lambda m: value if "%" in value else quote(value, safe=""), rule.rule)
            try:
                status = client.get(path).status_code
            except Exception as error:  # noqa: BLE001 - a 500 in production
                failures.append(f"GET {path} raised {error!r}")
                continue
            if status >= 500 or status in (200, 403):
                failures.append(f"GET {path} answered {status}")
    assert not failures, f"{role}:\n" + "\n".join(failures)


# -- the awkward inputs the fuzzing found, pinned --------------------------------------------------

MULTIPART_PART_WITHOUT_NAME = (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
                               "multipart/form-data; boundary=b")


def awkward_requests(world: World) -> list[tuple[str, str, str, Any]]:
    """(role, method, path, form or raw body) that once answered 500 or are close to one that did."""
    ours, alice = world.classes["ours"], world.users["alice"]
    own_attempt = world.attempts["alice-unfinished"]
    new_set = (set_file("brand-new").encode(), "new\x00set.yaml")
    return [
        # ids too large for the database's integer: SQLite (64 bits) and PostgreSQL (32-bit INTEGER)
        ("learner_a", "GET", f"/attempts/{2**31}/", None),
        ("learner_a", "GET", f"/attempts/{2**63}/", None),
        ("learner_a", "GET", f"/attempts/{2**63}/review", None),
        ("learner_a", "POST", f"/attempts/{2**63}/", {"position": "0", "label": "fact"}),
        ("learner_a", "POST", f"/attempts/{2**31}/finish", {}),
        ("instructor", "GET", f"/teach/classes/{2**31}/", None),
        ("instructor", "GET", f"/teach/classes/{ours}/learners/{2**63}/", None),
        ("instructor", "POST", f"/teach/classes/{2**63}/rename", {"name": "Mine"}),
        # a NUL character, which PostgreSQL text cannot hold
        ("anonymous", "GET", "/sets/sample%00/", None),
        ("anonymous", "POST", "/sets/sample%00/start", {}),
        ("instructor", "GET", "/teach/sets/sample%00/", None),
        ("instructor", "POST", "/teach/sets/sample%00/regrade", {}),
        ("anonymous", "POST", "/login", {"username": "\x00teacher", "password": "whatever-password"}),
        ("anonymous", "POST", "/join", {"code": "\x00K7QXM2PA", "username": "newbie", "password": LEARNER_PASSWORD,
                                        "confirm": LEARNER_PASSWORD}),
        ("learner_a", "POST", "/join", {"code": "\x00K7QXM2PA"}),
        ("anonymous", "POST", "/reset", {"username": "\x00alice", "code": "ABCDE-23456", "password": "new-password-1",
                                         "confirm": "new-password-1"}),
        ("instructor", "POST", "/teach/", {"name": "Year\x0010"}),
        ("instructor", "POST", f"/teach/classes/{ours}/rename", {"name": "Year\x0010"}),
        ("instructor", "POST", f"/teach/classes/{ours}/coteachers", {"username": "\x00stranger"}),
        ("instructor", "POST", "/teach/sets/", {"file": new_set}),
        # digits Python's isdigit() accepts and int() does not
        ("learner_a", "POST", f"/attempts/{own_attempt}/", {"position": "\u00b2", "label": "fact"}),
        ("learner_a", "GET", f"/attempts/{own_attempt}/?q=%C2%B2", None),
        ("instructor", "GET", f"/teach/classes/{ours}/?sort=set-%C2%B2", None),
        ("learner_a", "POST", f"/attempts/{own_attempt}/", {"position": "2", "word": ["\u00b2"]}),
        # a multipart part without a field name (a browser never sends it; anyone can)
        ("anonymous", "POST", "/login", MULTIPART_PART_WITHOUT_NAME),
        ("learner_a", "POST", f"/attempts/{own_attempt}/", MULTIPART_PART_WITHOUT_NAME),
        ("instructor", "POST", f"/teach/classes/{ours}/learners/{alice}/reset", MULTIPART_PART_WITHOUT_NAME),
    ]


def test_awkward_inputs_found_by_fuzzing_never_fail(app, tmp_path):
    """Each input below answered 500 on at least one database when this test was written."""
    world = build_world(app, tmp_path)
    failures = []
    for role, method, path, data in awkward_requests(world):
        actor = world.actors[role]
        client = app.test_client()
        client.set_cookie("session", actor.cookie)
        before = snapshot(app)
        try:
            if method == "GET":
                response = client.get(path)
            elif isinstance(data, tuple):
                response = client.post(path, data=data[0], content_type=data[1])
            else:
                form = MultiDict({"csrf_token": actor.csrf})
                for key, value in data.items():
                    for one in value if isinstance(value, list) else [value]:
                        form.add(key, (io.BytesIO(one[0]), one[1]) if isinstance(one, tuple) else one)
                response = client.post(path, data=form)
        except Exception as error:  # noqa: BLE001 - a 500 in production
            failures.append(f"{role} {method} {path} {data!r:.120} raised {error!r:.160}")
            continue
        if response.status_code >= 500:
            failures.append(f"{role} {method} {path} {data!r:.120} answered {response.status_code}")
        problems = changes_to_others(before, snapshot(app), actor, None, None)
        if problems:
            failures.append(f"{role} {method} {path} {data!r:.120} changed others' data: {problems}")
    assert not failures, f"{len(failures)} inputs fail:\n" + "\n".join(failures)
