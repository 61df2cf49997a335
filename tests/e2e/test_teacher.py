"""The teacher's console in real Chromium against the real server (issue 14): a lock makes a
student's phone "View only" and nothing it draws reaches the board; follow-me moves a
student's view; the teacher's laser shows on the other page and fades away; a clear shows a
notice naming who did it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from board_page import drag, ids, ink, links, open_url, wait_ready, wave

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}




def teacher_and_student(new_context: Any, base: str, room: str, **student: Any) -> tuple:
    urls = links(base, room)
    teacher = open_url(new_context(), urls["teacher"], "Tess")
    page = open_url(new_context(**student), urls["student"], "Sam")
    teacher.wait_for_function("() => window.__lanboard.session.role === 'teacher'")
    assert page.evaluate("() => window.__lanboard.session.role") == "student"
    return teacher, page


def console_switch(teacher: Any, key: str, on: bool = True) -> None:
    teacher.click("#teacher-btn")
    box = teacher.locator(f"#teacher-{key}")
    if box.is_checked() != on:
        box.click()
    teacher.wait_for_function(
        f"() => window.__lanboard.session.settings.{key} === {json.dumps(on)}")
    teacher.keyboard.press("Escape")


def test_lock_makes_a_phone_view_only_and_it_cannot_draw(
        new_context: Any, board_server: Any) -> None:
    teacher, phone = teacher_and_student(new_context, board_server.url, "t-lock", **PHONE)
    assert phone.is_hidden("#view-only")
    assert phone.is_hidden("#teacher-btn")
    console_switch(teacher, "locked")

    phone.wait_for_selector("#view-only", state="visible")
    assert phone.inner_text("#view-only") == "View only"
    assert phone.eval_on_selector("button[data-tool=pen]", "b => b.disabled")
    drag(phone, wave(60, 300, n=12))
    phone.touchscreen.tap(200, 400)
    # The teacher's page is the server's board: it gets a stroke of its own, never the phone's.
    drag(teacher, wave(300, 300, n=8))
    teacher.wait_for_function("() => window.__lanboard.scene.size === 1")
    phone.wait_for_function("() => window.__lanboard.scene.size === 1")
    assert ids(phone) == ids(teacher)
    assert ink(phone, 60 + 5 * 10, 306, r=20) == 0

    console_switch(teacher, "locked", on=False)
    phone.wait_for_selector("#view-only", state="hidden")
    assert not phone.eval_on_selector("button[data-tool=pen]", "b => b.disabled")
    assert teacher.errors == [] and phone.errors == []


def test_follow_me_moves_a_students_view(new_context: Any, board_server: Any) -> None:
    teacher, student = teacher_and_student(new_context, board_server.url, "t-follow")
    console_switch(teacher, "follow")
    teacher.click("#zoom-in")
    teacher.click("#zoom-in")
    want = teacher.evaluate("() => window.__lanboard.view.scale")
    assert want > 1.5
    student.wait_for_function(f"() => Math.abs(window.__lanboard.view.scale - {want}) < 1e-6")
    assert student.inner_text("#zoom-reset") == f"{round(want * 100)}%"
    # The student zooms on their own: they stop following, and one click follows again.
    assert student.is_hidden("#follow-btn")
    student.click("#zoom-out")
    student.wait_for_selector("#follow-btn", state="visible")
    teacher.click("#zoom-in")
    want = teacher.evaluate("() => window.__lanboard.view.scale")
    # The teacher's new view has arrived, and did not move the student.
    student.wait_for_function(
        f"() => Math.abs(window.__lanboard.follow.last?.zoom - {want}) < 1e-6")
    assert abs(student.evaluate("() => window.__lanboard.view.scale") - want) > 0.1
    student.click("#follow-btn")
    student.wait_for_function(f"() => Math.abs(window.__lanboard.view.scale - {want}) < 1e-6")
    student.wait_for_selector("#follow-btn", state="hidden")
    assert teacher.errors == [] and student.errors == []


def test_the_laser_shows_on_the_other_page_and_fades(
        new_context: Any, board_server: Any) -> None:
    teacher, student = teacher_and_student(new_context, board_server.url, "t-laser")
    teacher.click("#laser-btn")
    drag(teacher, [(400 + i * 8, 400) for i in range(12)], release=False)
    # Where the pointer stopped reaches the other page, however fast the moves came: the
    # laser's last position is sent late rather than dropped (throttle.js).
    end = teacher.evaluate(
        "() => [...window.__lanboard.laser.byUser.values()][0].points.at(-1).x")
    student.wait_for_function(
        "(x) => window.__lanboard.laser.size === 1 && "
        "[...window.__lanboard.laser.byUser.values()][0].points.at(-1).x === x", arg=end)
    # Along the trail near its newest points (older ones fade first), clear of the dot and
    # the teacher's cursor at its end (488).
    assert ink(student, 466, 400, r=6) > 0
    teacher.mouse.up()
    # Gone within the ~2 s the issue asks (FADE_MS is 1.5 s); the wait allows for a slow CI.
    student.wait_for_function("() => window.__lanboard.laser.size === 0", timeout=5000)
    # Two frames later the overlay has been painted without it.
    student.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert ink(student, 466, 400, r=6) == 0
    # The laser drew nothing on the board.
    assert teacher.evaluate("() => window.__lanboard.scene.size") == 0
    assert teacher.errors == [] and student.errors == []


def test_a_clear_shows_a_notice_naming_who_did_it(new_context: Any, board_server: Any) -> None:
    teacher, student = teacher_and_student(new_context, board_server.url, "t-clear")
    drag(student, wave(100, 300))
    student.wait_for_function("() => window.__lanboard.scene.size === 1")
    teacher.wait_for_function("() => window.__lanboard.scene.size === 1")
    teacher.click("#menu-btn")
    teacher.click("[data-action=clear]")
    teacher.click("#confirm-ok")
    student.wait_for_function("() => window.__lanboard.scene.size === 0")
    student.wait_for_function(
        "() => document.querySelector('#notice').textContent === 'Tess cleared the board'")
    teacher.click("#teacher-btn")
    assert "Tess cleared the board" in teacher.inner_text("#teacher-notices")
    assert teacher.errors == [] and student.errors == []


def test_viewer_follows_and_cannot_draw_and_a_removed_student_is_told(
        new_context: Any, board_server: Any) -> None:
    urls = links(board_server.url, "t-viewer")
    teacher = open_url(new_context(), urls["teacher"], "Tess")
    viewer = open_url(new_context(), urls["viewer"], "Projector")
    twin_a = open_url(new_context(), urls["student"], "Alex")
    twin_b = open_url(new_context(), urls["student"], "Alex")
    # Two people with one name are two presence entries; the teacher is marked.
    teacher.wait_for_function("() => window.__lanboard.users.length === 4")
    names = sorted(u["userId"] for u in teacher.evaluate("() => window.__lanboard.users"))
    assert names == ["Alex", "Alex (2)", "Projector", "Tess"]
    twin_a.click("#presence-btn")
    assert "Teacher" in twin_a.inner_text("li.user[data-user=Tess]")

    assert viewer.evaluate("() => window.__lanboard.session.role") == "viewer"
    viewer.wait_for_selector("#view-only", state="visible")
    console_switch(teacher, "follow")
    teacher.click("#zoom-out")
    want = teacher.evaluate("() => window.__lanboard.view.scale")
    viewer.wait_for_function(f"() => Math.abs(window.__lanboard.view.scale - {want}) < 1e-6")

    # Presenter mode: the others' cursors are no longer painted.
    teacher.mouse.move(700, 500)
    viewer.wait_for_function("() => window.__lanboard.cursors.has('Tess')")
    frames = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    viewer.evaluate(frames)
    # The same view on the same window size: the teacher's arrow and label sit at (700, 500).
    assert ink(viewer, 703, 510, r=3) > 0
    viewer.evaluate("() => window.__lanboard.renderer.setPresenter(true)")
    viewer.evaluate(frames)
    assert ink(viewer, 703, 510, r=3) == 0

    second = twin_b.evaluate("() => window.__lanboard.me.userId")
    teacher.click("#teacher-btn")
    teacher.click(f"li.teacher-student[data-user='{second}'] button")
    teacher.click("#confirm-ok")
    twin_b.wait_for_function("() => document.querySelector('#conn').dataset.state === 'removed'")
    assert "removed by the teacher" in twin_b.inner_text("#conn-text")
    assert twin_a.evaluate("() => window.__lanboard.ready")
    assert teacher.errors == [] and viewer.errors == []


def test_creating_a_board_makes_this_browser_its_teacher(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context()
    page = ctx.new_page()
    page.goto(f"{board_server.url}/")
    page.fill("#name", "Lee")
    page.fill("#create-name", "t claimed")
    page.click("#create-form button")
    page.wait_for_url("**/room/t-claimed?name=Lee")
    wait_ready(page)
    assert page.evaluate("() => window.__lanboard.session.role") == "teacher"
    assert page.is_visible("#teacher-btn")
    # The Share dialog gives the student link first; the viewer and teacher links are folded.
    page.click("#share-btn")
    page.wait_for_selector("#share-more", state="attached")
    assert "key=" not in page.input_value("#share-url")
    assert page.eval_on_selector("#share-more", "d => !d.hidden && !d.open")
    assert "key=" in page.input_value("#share-teacher-url")
    # Someone else opening the same address is a student; the board is taken.
    other = open_url(new_context(), f"{board_server.url}/room/t-claimed", "Kim")
    assert other.evaluate("() => window.__lanboard.session.role") == "student"
    assert other.is_hidden("#teacher-btn")
    assert other.errors == []


def test_new_links_reconnect_the_teacher_and_end_an_old_teacher_link(
        new_context: Any, board_server: Any) -> None:
    urls = links(board_server.url, "t-rotate")
    own = new_context()
    tab = open_url(own, urls["teacher"], "Tess")  # the teacher's other tab, in the background
    teacher = open_url(own, urls["teacher"], "Tess")
    teacher.bring_to_front()
    leak = open_url(new_context(), urls["teacher"], "Leak")  # a student who copied the link
    student = open_url(new_context(), urls["student"], "Sam")
    old = teacher.evaluate("() => window.__lanboard.session.key")
    drag(teacher, wave(100, 300))
    student.wait_for_function("() => window.__lanboard.scene.size === 1")
    connects = teacher.evaluate("() => window.__lanboard.net.connects")

    teacher.click("#teacher-btn")
    teacher.click("#teacher-rotate")
    teacher.click("#confirm-ok")
    # The teacher's page is ended with its old key and comes straight back with the new one,
    # resuming (since and origin), its undo history kept.
    teacher.wait_for_function(
        f"() => window.__lanboard.net.connects > {connects} && window.__lanboard.ready")
    key = teacher.evaluate("() => window.__lanboard.session.key")
    assert key and key != old
    assert f"key={key}" in teacher.url
    assert teacher.evaluate("() => window.__lanboard.session.role") == "teacher"
    assert teacher.evaluate("() => window.__lanboard.scene._lastCatchUp") == "resume"
    kept = teacher.evaluate("() => localStorage.getItem('lanboard.links.t-rotate')")
    assert f"key={key}" in json.loads(kept)["teacher"]
    assert teacher.get_attribute("#conn", "data-state") == "connected"
    assert teacher.is_hidden("#confirm-dialog")
    teacher.evaluate("() => window.__lanboard.undo()")
    student.wait_for_function("() => window.__lanboard.scene.size === 0")
    # The other tab of this browser goes on with the links the first one kept.
    tab_on = "() => window.__lanboard.session.key === {} && window.__lanboard.ready"
    tab.wait_for_function(tab_on.format(json.dumps(key)), polling=100)
    assert f"key={key}" in tab.url
    assert tab.evaluate("() => window.__lanboard.session.role") == "teacher"
    # The other order: the answer's new key comes before the server's close (held back here
    # until then); the page goes on with the key it already has.
    teacher.evaluate("""() => {
      const ws = window.__lanboard.net.ws;
      const closed = ws.onclose;
      const held = new Promise((release) => { window.__release = release; });
      ws.onclose = (ev) => held.then(() => closed(ev));
    }""")
    connects = teacher.evaluate("() => window.__lanboard.net.connects")
    teacher.keyboard.press("Escape")  # the console is still open from the first time
    teacher.click("#teacher-btn")
    teacher.click("#teacher-rotate")
    teacher.click("#confirm-ok")
    teacher.wait_for_function(f"""() => window.__lanboard.session.key !== {json.dumps(key)}
      && !window.__lanboard.session.rotating""")
    teacher.evaluate("() => window.__release()")
    teacher.wait_for_function(
        f"() => window.__lanboard.net.connects > {connects} && window.__lanboard.ready")
    third = teacher.evaluate("() => window.__lanboard.session.key")
    assert third != key and f"key={third}" in teacher.url
    tab.wait_for_function(tab_on.format(json.dumps(third)), polling=100)
    assert tab.is_hidden("#confirm-dialog")
    assert teacher.evaluate("() => window.__lanboard.session.role") == "teacher"
    assert teacher.get_attribute("#conn", "data-state") == "connected"

    # The old link's page is told, stops (no retry with the dead key), and offers the student
    # link's way on, in place.
    leak.wait_for_function("() => document.querySelector('#conn').dataset.state === 'replaced'")
    assert "replaced by the teacher" in leak.inner_text("#confirm-title")
    assert "ask the teacher for the new one" in leak.inner_text("#conn-text")
    assert leak.evaluate("() => window.__lanboard.net.connects") == 1
    leak.click("#confirm-ok")
    leak.wait_for_function(
        "() => window.__lanboard.ready && window.__lanboard.session.role === 'student'")
    assert "key=" not in leak.url
    assert leak.is_hidden("#teacher-btn")
    assert student.evaluate("() => window.__lanboard.net.connects") == 1  # never ended
    assert teacher.errors == [] and leak.errors == [] and student.errors == []
    assert tab.errors == []

    # A page opened later on the dead link never connects (every upgrade is 403 bad_key,
    # which a WebSocket does not show): it asks the server, stops, and offers the same way on.
    late = new_context().new_page()
    late.goto(f"{urls['teacher']}&name=Late")
    late.wait_for_function("() => document.querySelector('#conn').dataset.state === 'replaced'",
                           timeout=20000)
    assert late.evaluate("() => window.__lanboard.net.connects") == 0
    assert "ask the teacher for the new one" in late.inner_text("#conn-text")
    late.click("#confirm-ok")
    late.wait_for_function(
        "() => window.__lanboard.ready && window.__lanboard.session.role === 'student'")
    assert "key=" not in late.url
