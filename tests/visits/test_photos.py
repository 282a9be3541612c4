"""Home-visit photos: checked by content, re-encoded without EXIF (a geotag would reveal a
child's home), stored under a random name outside the static tree, served only to users who
may see the student.

The teacher is paired with the student; bob is a colleague of the same school who is not;
charlie is the aid office of another school (refused with 404: the photo's existence is not
leaked)."""

import io
import struct
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from students.models import Role
from tests import factories
from tests.conftest import login
from tests.helpers import login_redirect
from visits.models import ActivityLog, Kind, VisitPhoto
from visits.photos import MAX_SIDE, photo_problems, photos_add

pytestmark = pytest.mark.django_db

GPS = {1: "N", 2: (26.0, 34.0, 12.0), 3: "E", 4: (106.0, 42.0, 0.0)}
ORIENTATION_ROTATE_90_CW = 6


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pairing(school, semester):
    return factories.PairingFactory(school=school)


@pytest.fixture
def teacher(pairing):
    return pairing.teacher


@pytest.fixture
def log(pairing):
    return make_log(pairing, Kind.HOME_VISIT)


def make_log(pairing, kind: str) -> ActivityLog:
    return ActivityLog.objects.create(
        pairing=pairing,
        author=pairing.teacher,
        kind=kind,
        date=pairing.start,
        content="了解家庭情况",
        visit_place="家中",
    )


def image_bytes(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg(size=(64, 48), colour="green", **params) -> SimpleUploadedFile:
    return upload("photo.jpg", image_bytes(Image.new("RGB", size, colour), "JPEG", **params))


def geotagged_jpeg() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    exif[0x8825] = GPS
    content = image_bytes(Image.new("RGB", (64, 48), "green"), "JPEG", exif=exif, comment=b"x")
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825), "given: a GPS tag"
    return upload("IMG_0001.jpg", content)


def sideways_jpeg() -> SimpleUploadedFile:
    """Stored 40×20 with red on the left, blue on the right, and an orientation tag saying
    "turn 90° clockwise to view": upright, it is 20×40 with red on top."""
    image = Image.new("RGB", (40, 20), "blue")
    image.paste("red", (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = ORIENTATION_ROTATE_90_CW
    return upload("sideways.jpg", image_bytes(image, "JPEG", exif=exif, quality=95))


def transparent_png() -> SimpleUploadedFile:
    """Transparent, with an opaque black square in the middle."""
    image = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    image.paste((0, 0, 0, 255), (10, 10, 30, 30))
    return upload("drawing.png", image_bytes(image, "PNG"), "image/png")


def webp() -> SimpleUploadedFile:
    return upload("photo.webp", image_bytes(Image.new("RGB", (64, 48), "green"), "WEBP"))


def gif() -> SimpleUploadedFile:
    return upload("anim.gif", image_bytes(Image.new("RGB", (64, 48), "green"), "GIF"))


def renamed_text() -> SimpleUploadedFile:
    return upload("notes.jpg", "家访笔记：不是图片".encode())


def oversized() -> SimpleUploadedFile:
    return upload("big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (11 * 1024 * 1024))


def png_claiming(width: int, height: int) -> SimpleUploadedFile:
    """A PNG of a few bytes whose header claims width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    content = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    return upload("bomb.png", content, "image/png")


def stored(photo: VisitPhoto) -> Image.Image:
    """The stored file, re-read from disk."""
    with photo.image.open("rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def files_in(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def messages(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return error.value.message_dict["photos"]


# Checking one file


def test_a_photo_of_each_accepted_format_has_no_problems():
    assert [photo_problems(f) for f in (jpeg(), transparent_png(), webp())] == [[], [], []]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (renamed_text, "“notes.jpg”不是 JPEG、PNG 或 WebP 图片"),
        (gif, "“anim.gif”不是 JPEG、PNG 或 WebP 图片"),
        (oversized, "照片“big.jpg”超过 10 MB"),
    ],
)
def test_a_file_is_judged_by_its_content_and_size(make, message):
    assert photo_problems(make()) == [message]


def test_a_gif_renamed_to_jpg_sent_as_jpeg_is_refused():
    renamed = upload("photo.jpg", gif().read(), "image/jpeg")

    assert photo_problems(renamed) == ["“photo.jpg”不是 JPEG、PNG 或 WebP 图片"]


@pytest.mark.parametrize(
    "size",
    [
        (8000, 8000),  # over AidCase's 50 megapixels
        (10000, 10000),  # over Pillow's warning threshold
        (20000, 20000),  # over Pillow's error threshold
    ],
)
def test_an_image_with_too_many_pixels_is_refused_without_decoding(size):
    assert photo_problems(png_claiming(*size)) == [
        "照片“bomb.png”像素过多（最多 5000 万像素），请缩小后再上传"
    ]


# Adding photos to a home visit


def test_gps_and_all_exif_are_gone_from_the_stored_photo(log, teacher):
    [photo] = photos_add(log=log, uploads=[geotagged_jpeg()], by=teacher)

    image = stored(photo)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert "comment" not in image.info
    assert "icc_profile" not in image.info


def test_the_orientation_is_applied_to_the_pixels(log, teacher):
    [photo] = photos_add(log=log, uploads=[sideways_jpeg()], by=teacher)

    image = stored(photo)
    assert (image.size, photo.width, photo.height) == ((20, 40), 20, 40)
    top, bottom = pixel(image, (10, 8)), pixel(image, (10, 32))
    assert top[0] > 200 and top[2] < 60  # red
    assert bottom[2] > 200 and bottom[0] < 60  # blue


def test_transparency_is_flattened_onto_white_and_stored_as_jpeg(log, teacher):
    [photo] = photos_add(log=log, uploads=[transparent_png()], by=teacher)

    image = stored(photo)
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert min(pixel(image, (2, 2))) > 245  # was transparent
    assert max(pixel(image, (20, 20))) < 10  # was opaque black


def test_a_webp_is_stored_as_jpeg(log, teacher):
    [photo] = photos_add(log=log, uploads=[webp()], by=teacher)

    assert stored(photo).format == "JPEG"
    assert photo.image.name.endswith(".jpg")


def test_a_large_photo_is_scaled_down_keeping_its_aspect(log, teacher):
    [photo] = photos_add(log=log, uploads=[jpeg(size=(3000, 2000))], by=teacher)

    image = stored(photo)
    assert image.size == (photo.width, photo.height)
    assert image.width == MAX_SIDE
    assert abs(image.height - 1707) <= 1


def test_the_stored_name_is_random_and_not_the_uploaded_one(log, teacher, media):
    photo_file = jpeg()
    photo_file.name = "张小明家门口.jpg"

    [photo] = photos_add(log=log, uploads=[photo_file], by=teacher)

    assert photo.image.name.startswith("photos/")
    assert "张小明" not in photo.image.name
    assert files_in(media) == [media / photo.image.name]


def test_six_photos_are_the_most_a_visit_can_hold(log, teacher, media):
    photos_add(log=log, uploads=[jpeg() for _ in range(4)], by=teacher)

    with pytest.raises(ValidationError) as error:
        photos_add(log=log, uploads=[jpeg() for _ in range(3)], by=teacher)

    assert messages(error) == ["每次家访最多 6 张照片，这条记录已有 4 张，本次选了 3 张"]
    assert log.photos.count() == 4
    assert len(files_in(media)) == 4


def test_every_problem_is_listed_at_once_and_nothing_is_saved(log, teacher, media):
    uploads = [jpeg(), renamed_text(), gif(), oversized()]

    with pytest.raises(ValidationError) as error:
        photos_add(log=log, uploads=uploads, by=teacher)

    assert messages(error) == [
        "“notes.jpg”不是 JPEG、PNG 或 WebP 图片",
        "“anim.gif”不是 JPEG、PNG 或 WebP 图片",
        "照片“big.jpg”超过 10 MB",
    ]
    assert VisitPhoto.objects.count() == 0
    assert files_in(media) == []


def test_a_truncated_jpeg_is_refused(log, teacher):
    whole = jpeg(size=(400, 300), colour="navy").read()
    truncated = upload("cut.jpg", whole[: len(whole) // 2])

    with pytest.raises(ValidationError) as error:
        photos_add(log=log, uploads=[truncated], by=teacher)

    assert messages(error) == ["“cut.jpg”不是 JPEG、PNG 或 WebP 图片"]


def test_only_a_home_visit_takes_photos(pairing, teacher):
    talk = make_log(pairing, Kind.TALK)

    with pytest.raises(ValidationError) as error:
        photos_add(log=talk, uploads=[jpeg()], by=teacher)

    assert messages(error) == ["只有家访记录可以上传照片"]
    assert VisitPhoto.objects.count() == 0


def test_files_already_written_are_removed_when_a_later_one_fails(log, teacher, media):
    failing_save = mock.patch.object(
        VisitPhoto, "save", autospec=True, side_effect=[None, OSError("disk full")]
    )

    with failing_save, pytest.raises(OSError, match="disk full"):
        photos_add(log=log, uploads=[jpeg(), jpeg()], by=teacher)

    assert files_in(media) == []


# Serving


@pytest.fixture
def photo(log, teacher):
    [photo] = photos_add(log=log, uploads=[geotagged_jpeg()], by=teacher)
    return photo


def photo_url(photo: VisitPhoto) -> str:
    return f"/photos/{photo.pk}/"


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school)


@pytest.fixture
def principal(school):
    return factories.make_user(Role.PRINCIPAL, school=school)


@pytest.mark.parametrize("who", ["teacher", "office", "principal"])
def test_the_paired_teacher_and_the_school_managers_get_the_photo(request, photo, who):
    user = request.getfixturevalue(who)

    response = login(user).get(photo_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}.jpg"'
    with photo.image.open("rb") as file:
        assert b"".join(response.streaming_content) == file.read()


def test_a_colleague_not_paired_with_the_student_gets_404(photo, school):
    bob = factories.make_user(Role.TEACHER, school=school)

    assert login(bob).get(photo_url(photo)).status_code == 404


def test_another_schools_office_gets_404(photo, other_school):
    charlie = factories.make_user(Role.OFFICE, school=other_school)

    assert login(charlie).get(photo_url(photo)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, photo):
    response = client.get(photo_url(photo))

    assert response.status_code == 302
    assert response["Location"] == login_redirect(photo_url(photo))
