"""Live class mode in a real browser: the projector (1920x1080) and two learners' phones (390x844).

What HTTP tests cannot show: the screens follow the session by themselves (polling, then a
reload that announces the change in a live region), counts update in place, and the pages
have no accessibility violations (axe-core) and fit the screen. Screenshots go to screenshots/ (git-ignored).
"""
from __future__ import annotations

import re

from test_learner_browser import expect, follow, join_with_mouse, radio, run_axe
from test_instructor_browser import make_instructor, sign_in

TEACHER, TEACHER_PASSWORD = "ms-rivera", "rivera-password"
PROJECTOR_SIZE = {"width": 1920, "height": 1080}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
FOLLOWS_WITHIN = 8_000  # ms: a 2 s poll, a reload, and a slow shared machine


def page_problems(page, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every axe-core violation, of any impact, and a page wider than its screen."""
    problems = [f"{where}: {v['id']} [{v['impact']}]: {v['help']}" for v in run_axe(page)]
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    if widths["scroll"] > widths["inner"]:
        problems.append(f"{where}: {widths['scroll']} px wide on a {widths['inner']} px screen")
    return problems


def test_projector_and_two_phones_follow_a_session(live_server, new_context, screenshot):
    live = live_server
    base = live.url
    make_instructor(live, TEACHER, TEACHER_PASSWORD)
    class_id = live.make_class(assign="sample", instructor=TEACHER)
    problems: list[str] = []

    projector = new_context(viewport=PROJECTOR_SIZE).new_page()
    sign_in(projector, base, TEACHER, TEACHER_PASSWORD)
    projector.goto(f"{base}/teach/classes/{class_id}/")
    projector.get_by_label("Set to run live").select_option(label="Sample set")
    follow(projector, projector.get_by_role("button", name="Start live session"))
    assert re.fullmatch(rf"{re.escape(base)}/teach/classes/{class_id}/live/\d+", projector.url)
    expect(projector.get_by_role("heading", name="Join the live session")).to_be_visible()
    expect(projector.locator(".code.big")).to_have_text("K7QX-M2PA")

    phones = {}
    for name in ("ana", "ben"):
        phone = new_context(**PHONE).new_page()
        join_with_mouse(phone, base, name)
        phone.goto(base + "/")
        follow(phone, phone.get_by_role("button", name=re.compile("^Live now: join")))
        expect(phone.get_by_role("heading", name="You are in")).to_be_visible()
        phones[name] = phone
    ana, ben = phones["ana"], phones["ben"]
    # the projector's count follows without a reload
    expect(projector.locator('[data-live-count="joined"]')).to_have_text("2", timeout=FOLLOWS_WITHIN)
    screenshot(projector, "live-projector-lobby.png")
    problems += page_problems(projector, "projector lobby")
    problems += page_problems(ana, "learner lobby")

    follow(projector, projector.get_by_role("button", name="Open question 1"))
    for phone in (ana, ben):  # each phone shows the question by itself, and says so to a screen reader
        expect(phone.get_by_role("heading", name="Question 1 of 4")).to_be_visible(timeout=FOLLOWS_WITHIN)
        expect(phone.locator("#live-announce")).to_have_text("Question 1 of 4 is open.")
    screenshot(ana, "live-phone-question.png")
    problems += page_problems(ana, "learner question")
    radio(ana, "Reported fact").check()
    follow(ana, ana.get_by_role("button", name="Send my answer"))
    expect(ana.get_by_text("Your answer is saved.", exact=True).first).to_be_visible()
    radio(ben, "Opinion").check()
    follow(ben, ben.get_by_role("button", name="Send my answer"))
    expect(projector.locator('[data-live-count="answered"]')).to_have_text("2", timeout=FOLLOWS_WITHIN)
    expect(projector.locator(".big-question .statement")).to_have_text(
        "Putin met U.S. envoys Steve Witkoff and Jared Kushner.")
    screenshot(projector, "live-projector-question.png")
    problems += page_problems(projector, "projector question")

    follow(projector, projector.get_by_role("button", name="Close the question"))
    expect(projector.get_by_text("1 of 2 took this reported fact for an opinion.")).to_be_visible()
    expect(projector.locator(".bar.right .bar-count")).to_have_text("1 (50%)")
    expect(projector.locator(".answer .why")).to_have_text("Step 3: a meeting can be checked against records.")
    screenshot(projector, "live-projector-reveal.png")
    problems += page_problems(projector, "projector reveal")
    expect(ana.locator("#feedback .verdict")).to_contain_text("Right.", timeout=FOLLOWS_WITHIN)
    expect(ben.locator("#feedback .verdict")).to_contain_text("Not quite.", timeout=FOLLOWS_WITHIN)
    expect(ben.locator("#live-announce")).to_have_text("Question 1 is closed: the answer is shown.")
    screenshot(ben, "live-phone-feedback.png")
    problems += page_problems(ben, "learner feedback")

    # a reload on a phone lands where the class is, with the same answer
    ana.reload()
    expect(ana.locator("#feedback .verdict")).to_contain_text("Right.")

    follow(projector, projector.get_by_role("button", name="Open question 2"))
    expect(ben.get_by_role("heading", name="Question 2 of 4")).to_be_visible(timeout=FOLLOWS_WITHIN)
    ben.get_by_role("radio", name=re.compile("This whole thing feels staged")).check()
    follow(ben, ben.get_by_role("button", name="Send my answer"))
    follow(projector, projector.get_by_role("button", name="Close the question"))
    follow(projector, projector.get_by_role("button", name="End the session"))
    expect(projector.get_by_role("heading", name="What the class took for what")).to_be_visible()
    expect(projector.get_by_role("heading", name="To discuss: the questions most answered wrongly")).to_be_visible()
    screenshot(projector, "live-projector-summary.png")
    problems += page_problems(projector, "projector summary")
    for phone in (ana, ben):
        expect(phone.get_by_role("heading", name=re.compile("^Your result"))).to_be_visible(timeout=FOLLOWS_WITHIN)
    expect(ana.locator(".score")).to_contain_text("25%")  # 1 of 4: question 1 right, the rest unanswered
    screenshot(ana, "live-phone-summary.png")
    problems += page_problems(ana, "learner summary")
    assert not problems, "axe-core violations or pages wider than the screen:\n" + "\n".join(problems)


def test_with_javascript_off_a_phone_refreshes_itself_and_answers(live_server, new_context):
    live = live_server
    base = live.url
    make_instructor(live, TEACHER, TEACHER_PASSWORD)
    class_id = live.make_class(assign="sample", instructor=TEACHER)
    projector = new_context(viewport=PROJECTOR_SIZE).new_page()
    sign_in(projector, base, TEACHER, TEACHER_PASSWORD)
    projector.goto(f"{base}/teach/classes/{class_id}/")
    follow(projector, projector.get_by_role("button", name="Start live session"))
    phone = new_context(java_script_enabled=False, **PHONE).new_page()
    join_with_mouse(phone, base, "noscript")
    phone.goto(base + "/")
    follow(phone, phone.get_by_role("button", name=re.compile("^Live now: join")))
    follow(projector, projector.get_by_role("button", name="Open question 1"))
    # the waiting page refreshes itself (meta refresh) and lands on the question
    expect(phone.get_by_role("heading", name="Question 1 of 4")).to_be_visible(timeout=FOLLOWS_WITHIN)
    radio(phone, "Reported fact").check()
    follow(phone, phone.get_by_role("button", name="Send my answer"))
    expect(phone.get_by_text("Your answer is saved.", exact=True).first).to_be_visible()
    follow(projector, projector.get_by_role("button", name="Close the question"))
    follow(phone, phone.get_by_role("link", name="Refresh"))
    expect(phone.locator("#feedback .verdict")).to_contain_text("Right.")
