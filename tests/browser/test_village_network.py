"""A home visit logged on a village network (400 kbps, 400 ms, as Chromium emulates it) with
a photo as a phone's camera takes it: the photo is made smaller on the phone and sent with a
progress bar, and a refused form keeps the chosen photos."""

import io
import random
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.test_aid_journeys import log_in
from visits.models import ActivityLog, Kind, VisitPhoto

pytestmark = pytest.mark.django_db(transaction=True)

KBPS = 400
LATENCY_MS = 400
SECONDS = 5.0


@pytest.fixture
def camera_photo(tmp_path):
    """About 4 MB, as a phone's camera takes a home: 4032×3024 at JPEG quality 92, a scene of
    broad shapes with mid-scale texture and the sensor's noise in every pixel (what makes a
    camera's file big, and what a smaller copy averages away)."""
    rng = random.Random(7)
    width, height = 4032, 3024
    scene = Image.new("RGB", (40, 30))
    scene.putdata([tuple(rng.randrange(256) for _ in "rgb") for _ in range(40 * 30)])
    texture = Image.new("L", (504, 378))
    texture.putdata([rng.randrange(256) for _ in range(504 * 378)])
    grain = Image.blend(
        texture.resize((width, height), Image.Resampling.BICUBIC),
        Image.effect_noise((width, height), 40),
        0.5,
    )
    image = Image.blend(
        scene.resize((width, height), Image.Resampling.BICUBIC), grain.convert("RGB"), 0.3
    )
    path = tmp_path / "IMG_20261205_101500.jpg"
    image.save(path, "JPEG", quality=92)
    assert path.stat().st_size > 4_000_000
    return path


def village_network(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": LATENCY_MS,
            "downloadThroughput": KBPS * 1000 / 8,
            "uploadThroughput": KBPS * 1000 / 8,
        },
    )


def home_visit_form(page: Page, live_server, pairing) -> None:
    page.goto(f"{live_server.url}/logs/new/?pairing={pairing.pk}")
    page.get_by_label("类型", exact=True).select_option(label="家访")
    page.get_by_label("内容", exact=True).fill("与奶奶交流了孩子的饮食和作息。")


def test_a_home_visit_with_a_camera_photo_is_saved_within_seconds_at_400_kbps(
    page, live_server, media, camera_photo
):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    pairing = factories.PairingFactory(school=school)
    log_in(page, live_server, pairing.teacher.username)
    home_visit_form(page, live_server, pairing)
    page.get_by_label("家访地点", exact=True).fill("李家寨村二组家中")
    page.locator("input[type=file][name=photos]").set_input_files(camera_photo)
    village_network(page)

    started = time.monotonic()
    page.get_by_role("button", name="保存记录").click()
    expect(page.locator(".upload-progress")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="已记录：家访")).to_be_visible(timeout=60_000)
    seconds = time.monotonic() - started
    sent = int(page.locator("body").get_attribute("data-photos-sent-bytes") or 0)
    print(
        f"home visit with a {camera_photo.stat().st_size / 1e6:.1f} MB photo:"
        f" {sent / 1e3:.0f} KB sent, {seconds:.1f} s"
    )

    log = ActivityLog.objects.get(pairing=pairing, kind=Kind.HOME_VISIT)
    [stored] = VisitPhoto.objects.filter(log=log)
    with stored.image.open("rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        assert max(image.size) <= 1280
    assert seconds <= SECONDS, f"{seconds:.1f} s at {KBPS} kbps"


def test_a_refused_home_visit_keeps_its_photos(page, live_server, media, photo):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    pairing = factories.PairingFactory(school=school)
    log_in(page, live_server, pairing.teacher.username)
    home_visit_form(page, live_server, pairing)
    # the place of the visit is left out
    page.locator("input[type=file][name=photos]").set_input_files(photo)
    page.get_by_role("button", name="保存记录").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("家访地点")
    expect(page.locator(".photos-kept")).to_contain_text("已保留您选择的照片")
    assert page.locator("input[type=file][name=photos]").evaluate("i => i.files.length") == 1
    expect(page.get_by_label("内容", exact=True)).to_have_value("与奶奶交流了孩子的饮食和作息。")

    page.get_by_label("家访地点", exact=True).fill("李家寨村二组家中")
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_role("status").filter(has_text="已记录：家访")).to_be_visible()
    log = ActivityLog.objects.get(pairing=pairing, kind=Kind.HOME_VISIT)
    assert VisitPhoto.objects.filter(log=log).count() == 1
    assert re.search("李家寨", log.visit_place)


def test_what_a_home_visit_requires_is_marked_when_it_shows(page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    pairing = factories.PairingFactory(school=school)
    log_in(page, live_server, pairing.teacher.username)
    home_visit_form(page, live_server, pairing)
    place = page.locator("label[for=id_visit_place]")
    expect(place).to_have_class("required")
    expect(page.get_by_label("家访地点", exact=True)).to_have_attribute("aria-required", "true")
    # the mark is drawn by the stylesheet: it shows
    assert place.evaluate("l => getComputedStyle(l, '::after').content") not in ("none", "")
