"""Home-visit photos: checked by content, re-encoded without metadata, stored privately and
served only to users who may see the student.

A phone photo's EXIF can hold the GPS position of a child's home, so nothing of the uploaded
file is kept: only the pixels, decoded and saved again as a plain JPEG.
"""

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

from visits.models import ActivityLog, Kind, VisitPhoto
from visits.selectors import logs_visible_to

MAX_PHOTOS = 6
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2560
# Well above any phone camera a teacher carries, well below what exhausts the server's memory.
# Checked here rather than through Image.MAX_IMAGE_PIXELS, which is global to the process.
MAX_PIXELS = 50_000_000
# Only these decoders ever see an upload: the format is decided by the content, and the
# other plugins (with their own parsing bugs) are never tried.
FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85


@contextmanager
def _whole_images_only() -> Iterator[None]:
    """Decoding refuses a cut-off file. WeasyPrint, once imported, tells Pillow to pad
    truncated images for the whole process; an upload must be whole all the same."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _open(upload: UploadedFile) -> Image.Image:
    """The upload as a lazily decoded image. Raises Image.DecompressionBombError for an image
    with too many pixels, and some other exception for anything that is not an image."""
    upload.seek(0)
    image = Image.open(upload, formats=FORMATS)
    width, height = image.size
    if width * height > MAX_PIXELS:
        # Not closed: that would close the upload too.
        raise Image.DecompressionBombError(f"{width}×{height} pixels")
    return image


def _not_an_image(upload: UploadedFile) -> str:
    return _("“%(name)s”不是 JPEG、PNG 或 WebP 图片") % {"name": upload.name}


def photo_problems(upload: UploadedFile) -> list[str]:
    """What is wrong with one uploaded photo, in words for the user; empty when it is fine.
    The file name and the browser's content type are not trusted: only the bytes count."""
    if upload.size is None or upload.size > MAX_BYTES:
        return [_("照片“%(name)s”超过 10 MB") % {"name": upload.name}]
    try:
        with _whole_images_only(), _open(upload) as image:
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return [
            _("照片“%(name)s”像素过多（最多 %(max)d 万像素），请缩小后再上传")
            % {"name": upload.name, "max": MAX_PIXELS // 10_000}
        ]
    # A hostile or broken file can fail in any of Pillow's parsers, each with its own
    # exception type; whichever it is, the file is not a photo that can be kept.
    except Exception:
        return [_not_an_image(upload)]
    finally:
        upload.seek(0)
    return []


def reencode(upload: UploadedFile) -> tuple[ContentFile, int, int]:
    """The photo's pixels alone, upright, on white, at most MAX_SIDE on the longer side, as a
    JPEG without EXIF (GPS), ICC, XMP or comments. Returns the file, its width and height.
    Raises on a file that photo_problems refuses, or one that fails to decode."""
    with _whole_images_only(), _open(upload) as source:
        # For a JPEG, decode at a reduced scale straight away when the photo is much larger
        # than what is kept (square box: the orientation is not applied yet).
        source.draft(None, (MAX_SIDE * 2, MAX_SIDE * 2))
        # Orientation lives in the EXIF that is dropped: apply it to the pixels first.
        image = ImageOps.exif_transpose(source)
        image.load()
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # The JPEG encoder falls back to the source's comment, and exif_transpose keeps the EXIF
    # in info: start from nothing.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue()), image.width, image.height


@transaction.atomic
def photos_add(*, log: ActivityLog, uploads: Sequence[UploadedFile], by: Any) -> list[VisitPhoto]:
    """Attach photos to a home-visit log: at most MAX_PHOTOS per log, each one a JPEG, PNG or
    WebP of at most 10 MB, stored re-encoded under a random name. All or nothing: any problem
    (every one is listed) and no photo is saved; a failure while saving removes the files
    already written. `by` is who uploads; the caller has checked they may edit the log."""
    # Locked so that two uploads to the same log cannot both pass the count.
    log = ActivityLog.objects.select_for_update().get(pk=log.pk)
    problems: list[str] = []
    if log.kind != Kind.HOME_VISIT:
        problems.append(_("只有家访记录可以上传照片"))
    elif log.is_withdrawn:
        problems.append(_("已撤回的记录不能上传照片"))
    existing = log.photos.count()
    if existing + len(uploads) > MAX_PHOTOS:
        problems.append(
            _("每次家访最多 %(max)d 张照片，这条记录已有 %(existing)d 张，本次选了 %(count)d 张")
            % {"max": MAX_PHOTOS, "existing": existing, "count": len(uploads)}
        )
    encoded: list[tuple[ContentFile, int, int]] = []
    for upload in uploads:
        file_problems = photo_problems(upload)
        if not file_problems:
            # verify() does not decode a JPEG's data: a truncated one only fails here.
            try:
                encoded.append(reencode(upload))
            except Exception:
                file_problems = [_not_an_image(upload)]
        problems += file_problems
    if problems:
        raise ValidationError({"photos": problems})

    photos: list[VisitPhoto] = []
    try:
        for content, width, height in encoded:
            photo = VisitPhoto(log=log, width=width, height=height)
            photos.append(photo)
            # The name given here is replaced by photo_path's random one.
            photo.image.save("photo.jpg", content, save=False)
            photo.full_clean()
            photo.save()
    except BaseException:
        # The rows go with the rollback; the files written so far must go too.
        for written in photos:
            if written.image:
                written.image.delete(save=False)
        raise
    return photos


def photo_get_for_user(*, user: Any, pk: int) -> VisitPhoto:
    """A photo of a log the user may see; 404 for anyone else."""
    photo = (
        VisitPhoto.objects.filter(log__in=logs_visible_to(user=user).values("pk"))
        .filter(pk=pk)
        .select_related("log__pairing__student")  # whose photo it is, for the access log
        .order_by("pk")  # not the default ordering
        .first()
    )
    if photo is None:
        raise Http404
    return photo


def photo_file_response(photo: VisitPhoto) -> FileResponse:
    """The stored JPEG, shown inline under a neutral name and never kept by a shared cache
    or the browser's disk cache."""
    try:
        file = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        file, content_type="image/jpeg", as_attachment=False, filename=f"photo-{photo.pk}.jpg"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
