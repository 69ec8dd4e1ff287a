"""The photos of one case, decrypted into memory on the store lane, hashed and scaled on the
compute pool: each shows its capture claims, its SHA-256 recomputed now, and any flags."""

from __future__ import annotations

import hashlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from kpfield.gui.context import AppContext
from kpfield.gui.desk.report_html import FLAG_LABELS
from kpfield.services.desk import AttachmentView

THUMB = 112
INFO_WIDTH = 230
"""The capture claims beside each photo (not under it): the strip stays one thumbnail high."""


def _decode(data: bytes) -> tuple[str, QImage]:
    digest = hashlib.sha256(data).hexdigest()
    img = QImage()
    img.loadFromData(data)
    if not img.isNull():
        img = img.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)  # fmt: skip
    return digest, img


class PhotoStrip(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("casePhotos")
        self.ctx = ctx
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._generation = 0
        self.tiles: dict[str, QLabel] = {}
        self.hashes: dict[str, str] = {}

    def clear(self) -> None:
        self._generation += 1
        while (item := self._row.takeAt(0)) is not None:
            if (w := item.widget()) is not None:
                w.deleteLater()
        self.tiles.clear()
        self.hashes.clear()

    def show_photos(self, photos: tuple[AttachmentView, ...]) -> None:
        self.clear()
        _ = self.ctx.gettext
        for a in photos:
            tile = QWidget()
            col = QHBoxLayout(tile)
            col.setContentsMargins(0, 0, 12, 0)
            image = QLabel(_("Loading…"))
            image.setFixedSize(THUMB, THUMB)
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setStyleSheet("background:#eee")
            claims = a.claims
            lines = [a.caption] if a.caption else []
            lines += [
                _("Taken: {when}").format(when=claims.get("taken_at") or _("not recorded")),
                _("Camera: {camera}").format(
                    camera=" ".join(
                        str(claims.get(k, "")) for k in ("camera_make", "camera_model")
                    ).strip()
                    or "—"
                ),
                "SHA-256 " + a.sha256[:16] + "…",
            ]
            lines += ["⚠ " + _(FLAG_LABELS.get(f, f)) for f in a.flags]
            info = QLabel("\n".join(lines))
            info.setObjectName("photoInfo")
            info.setWordWrap(True)
            info.setFixedWidth(INFO_WIDTH)
            info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            col.addWidget(image, 0, Qt.AlignmentFlag.AlignTop)
            col.addWidget(info, 0, Qt.AlignmentFlag.AlignTop)
            self._row.addWidget(tile)
            self.tiles[a.attachment_id] = image
            if a.stored:
                self._load(a)
        self._row.addStretch(1)

    def _load(self, a: AttachmentView) -> None:
        generation = self._generation
        runner = self.ctx.runner
        _ = self.ctx.gettext

        def decoded(value: tuple[str, QImage]) -> None:
            if generation != self._generation or a.attachment_id not in self.tiles:
                return
            digest, img = value
            self.hashes[a.attachment_id] = digest
            tile = self.tiles[a.attachment_id]
            if not img.isNull():
                tile.setPixmap(QPixmap.fromImage(img))
            ok = digest == a.sha256
            tile.setToolTip(
                (_("SHA-256 recomputed now matches the sealed report: {sha}") if ok
                 else _("SHA-256 recomputed now DOES NOT match: {sha}")).format(sha=digest)
            )  # fmt: skip

        def fetched(data: bytes) -> None:
            if generation != self._generation:
                return
            runner.compute(lambda _job: _decode(data)).success(decoded).failure(lambda _e: None)

        runner.call(lambda s: s.hq().cases.original(a.attachment_id)).success(fetched).failure(
            lambda _e: None
        )
