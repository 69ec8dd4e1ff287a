"""A report's photos, sound recordings and documents: import (dialog or drag and drop, read in
place), thumbnails, captions, duplicates flagged, viewer, a photo's GPS as the report's position.

Thumbnails exist only as in-memory pixmaps made from ``thumbnail_bytes``; dropped files are read
where they are (never copied to a temporary file).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QImage, QPixmap, QPixmapCache
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.domain.attachment_text import TYPE_LABELS, format_duration, human_size
from kpfield.domain.ids import AttachmentId, ReportId
from kpfield.domain.models import Attachment, AttachmentKind, Report
from kpfield.errors import Cancelled, DuplicateAttachment, KpfieldError
from kpfield.gui.confirm import confirm
from kpfield.gui.context import AppContext
from kpfield.gui.photo_viewer import PhotoViewer, decode_scaled, has_gps
from kpfield.gui.tasks import Job, Op, user_message

THUMB = 160
Thumbnails = list[tuple[Attachment, bytes | None]]
Shown = list[tuple[Attachment, QImage | None]]
Duplicates = list[tuple[Path, str]]
ImportResult = tuple[Thumbnails, list[str], Duplicates]
PHOTO_PATTERNS = "*.jpg *.jpeg *.png *.webp *.tif *.tiff *.gif"
AUDIO_PATTERNS = "*.wav *.mp3 *.ogg *.oga *.opus *.m4a *.flac *.amr"
DOCUMENT_PATTERNS = "*.pdf *.txt"


def read_thumbnails(s: Session, atts: list[Attachment]) -> Thumbnails:
    """On the store lane: decrypt the thumbnails (the keys are in the vault). Memory only."""
    return [(a, s.reports.thumbnail_bytes(a.id) if a.has_thumbnail else None) for a in atts]


def decode_thumbnails(items: Thumbnails) -> Shown:
    """On the compute pool: decode into QImages (safe off the GUI thread, unlike QPixmap)."""
    return [(a, decode_scaled(data, THUMB) if data else None) for a, data in items]


def item_text(att: Attachment, gettext: object) -> str:
    """What a list tile says: the caption (or file name), and for recordings and documents their
    type, size and length."""
    first = att.caption or att.original_name
    if len(first) > 60:
        first = first[:58] + "…"
    if att.kind is AttachmentKind.PHOTO:
        return first
    _ = gettext if callable(gettext) else str
    facts = [str(_(TYPE_LABELS.get(att.mime, att.mime))), human_size(att.size)]
    if length := format_duration(att.claims.duration_ms):
        facts.append(length)
    return f"{first}\n{' · '.join(facts)}"


class PhotoPanel(QWidget):
    changed = Signal()
    import_finished = Signal(int)  # how many files were added
    position_from_photo = Signal(object)  # an Attachment with EXIF GPS

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.report_id: ReportId | None = None
        self.read_only = False
        self.attachments: list[Attachment] = []
        self.current_import: Op[ImportResult] | None = None
        self.setAcceptDrops(True)
        v = QVBoxLayout(self)
        self.hint = QLabel(
            _(
                "Photos, sound recordings (WAV, MP3, Ogg/Opus, M4A) and documents (PDF, plain "
                "text) are kept exactly as imported, encrypted, with their SHA-256 fingerprint, "
                "and sealed with the report. Drag files here or use Import. Double-click one to "
                "open it."
            )
        )
        self.hint.setWordWrap(True)
        v.addWidget(self.hint)
        self.list = QListWidget()
        self.list.setObjectName("photoList")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 24, THUMB + 40))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        v.addWidget(self.list, 1)
        caption_row = QHBoxLayout()
        self.caption_label = QLabel(_("Caption"))
        self.caption = QLineEdit()
        self.caption.setObjectName("captionEdit")
        self.caption.setMaxLength(2000)
        self.caption.setPlaceholderText(
            _("What this file shows or holds; sealed and sent with the report")
        )
        self.caption_label.setBuddy(self.caption)
        caption_row.addWidget(self.caption_label)
        caption_row.addWidget(self.caption, 1)
        v.addLayout(caption_row)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setRange(0, 1000)
        self.cancel_button = QPushButton(_("Cancel import"))
        self.cancel_button.setObjectName("cancelImport")
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        v.addLayout(progress_row)
        row = QHBoxLayout()
        self.import_button = QPushButton(_("Import files…"))
        self.import_button.setObjectName("importPhotos")
        self.view_button = QPushButton(_("Open…"))
        self.view_button.setObjectName("viewPhoto")
        self.gps_button = QPushButton(_("Use photo's position"))
        self.gps_button.setObjectName("usePhotoPosition")
        self.gps_button.setToolTip(
            _("Copy the GPS position in this photo's EXIF into the report's position")
        )
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.setObjectName("removePhoto")
        row.addWidget(self.import_button)
        row.addWidget(self.view_button)
        row.addWidget(self.gps_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("photoStatus")
        row.addWidget(self.status)
        v.addLayout(row)
        self.import_button.clicked.connect(self.choose_files)
        self.view_button.clicked.connect(self.view_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.gps_button.clicked.connect(self._use_position)
        self.cancel_button.clicked.connect(self.cancel_import)
        self.caption.editingFinished.connect(self.save_caption)
        self.list.itemActivated.connect(lambda _i: self.view_selected())
        self.list.currentRowChanged.connect(self._selection_changed)
        self._show_progress(False)

    # ---------------------------------------------------------------- loading
    def load(self, report: Report, attachments: list[Attachment]) -> None:
        self.clear()
        self.report_id = report.id
        self.read_only = not report.is_draft
        rid = report.id
        self._update_buttons()

        def show(items: Shown) -> None:
            if self.report_id == rid:
                for att, image in items:
                    self._add_item(att, image)
                self._update_buttons()

        def decode(items: Thumbnails) -> None:
            if self.report_id == rid:  # another report opened meanwhile: nothing to decode
                self.ctx.runner.compute(lambda _job: decode_thumbnails(items)).success(show)

        self.ctx.runner.call(lambda s: read_thumbnails(s, attachments)).success(decode)

    def clear(self) -> None:
        """Forget every thumbnail (at lock and when another report opens)."""
        self.report_id = None
        self.attachments = []
        self.list.clear()
        QPixmapCache.clear()
        self.status.setText("")

    def _add_item(self, att: Attachment, image: QImage | None) -> None:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, att.id)
        if image is not None and not image.isNull():
            item.setIcon(QIcon(QPixmap.fromImage(image)))
        else:
            kind = (
                QStyle.StandardPixmap.SP_MediaVolume
                if att.kind is AttachmentKind.AUDIO
                else QStyle.StandardPixmap.SP_FileIcon
            )
            item.setIcon(self.style().standardIcon(kind))
        self.attachments.append(att)
        self.list.addItem(item)
        self._label(item, att)

    def _label(self, item: QListWidgetItem, att: Attachment) -> None:
        item.setText(item_text(att, self.ctx.gettext))
        tip = f"{att.original_name}\nSHA-256 {att.sha256}"
        item.setToolTip(f"{att.caption}\n{tip}" if att.caption else tip)

    def _selection_changed(self, _row: int) -> None:
        att = self._selected()
        self.caption.blockSignals(True)
        self.caption.setText(att.caption if att is not None else "")
        self.caption.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        importing = self.current_import is not None
        editable = self.report_id is not None and not self.read_only and not importing
        self.import_button.setEnabled(editable)
        self.setAcceptDrops(editable)
        att = self._selected()
        selected = att is not None
        self.view_button.setEnabled(selected)
        self.remove_button.setEnabled(editable and selected)
        self.caption.setEnabled(selected)
        self.caption.setReadOnly(not editable)
        photo_gps = att is not None and att.kind is AttachmentKind.PHOTO and has_gps(att)
        self.gps_button.setEnabled(editable and photo_gps)

    def _show_progress(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.cancel_button.setVisible(on)

    # ---------------------------------------------------------------- import
    def choose_files(self) -> None:
        _ = self.ctx.gettext
        dialog = QFileDialog(self, _("Import photos, recordings and documents"))
        # Qt's own dialog: no OS "recent files" list records what was imported.
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        every = f"{PHOTO_PATTERNS} {AUDIO_PATTERNS} {DOCUMENT_PATTERNS}"
        dialog.setNameFilters(
            [
                _("Photos, recordings and documents ({patterns})").format(patterns=every),
                _("Photos ({patterns})").format(patterns=PHOTO_PATTERNS),
                _("Sound recordings ({patterns})").format(patterns=AUDIO_PATTERNS),
                _("Documents ({patterns})").format(patterns=DOCUMENT_PATTERNS),
                _("All files (*)"),
            ]
        )
        dialog.filesSelected.connect(lambda files: self.import_files([Path(f) for f in files]))
        dialog.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt name
        if self.import_button.isEnabled() and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt name
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    def import_files(
        self, paths: list[Path], *, allow_duplicate: bool = False
    ) -> Op[ImportResult] | None:
        """Import on the store thread with progress; each file is all-or-nothing. A file already
        attached to another report is asked about afterwards (``allow_duplicate`` then)."""
        rid = self.report_id
        if rid is None or self.read_only or self.current_import is not None or not paths:
            return None
        total = len(paths)

        def work(s: Session, job: Job) -> ImportResult:
            added: Thumbnails = []
            problems: list[str] = []
            duplicates: Duplicates = []
            done_files = 0

            def step(done: int, size: int) -> None:
                job.progress(done_files * 1000 + (done * 1000 // max(size, 1)), total * 1000)

            # Photos are decoded ahead in workers while this lane stores the current one.
            results = s.reports.attach_files(
                rid, paths, progress=step, cancel=job.cancelled, allow_duplicate=allow_duplicate
            )
            try:
                for path, result in results:
                    done_files += 1
                    if isinstance(result, DuplicateAttachment) and not result.same_report:
                        duplicates.append((path, result.translated(self.ctx.gettext)))
                        continue
                    if isinstance(result, KpfieldError):
                        problems.append(result.translated(self.ctx.gettext))
                        continue
                    job.progress(done_files * 1000, total * 1000)
                    added.extend(read_thumbnails(s, [result]))
            except Cancelled:
                pass
            return added, problems, duplicates

        op = self.ctx.runner.job(work)
        self.current_import = op
        self.progress.setValue(0)
        self._show_progress(True)
        self._update_buttons()
        self.status.setText(self.ctx.gettext("Importing…"))
        op.progress(lambda done, size: self.progress.setValue(done * 1000 // max(size, 1)))
        op.success(lambda result: self._decode_imported(rid, result))
        op.failure(self._failed)
        op.finally_(self._import_done)
        return op

    def cancel_import(self) -> None:
        if self.current_import is not None:
            self.current_import.cancel()
            self.status.setText(self.ctx.gettext("Cancelling…"))

    def _import_done(self) -> None:
        self.current_import = None
        self._show_progress(False)
        self._update_buttons()

    def _decode_imported(self, rid: ReportId, result: ImportResult) -> None:
        """The store lane is free again; thumbnails are decoded on the compute pool."""
        read, problems, duplicates = result
        self.ctx.runner.compute(lambda _job: decode_thumbnails(read)).success(
            lambda added: self._imported(rid, added, problems, duplicates)
        ).failure(self._failed)

    def _imported(
        self, rid: ReportId, added: Shown, problems: list[str], duplicates: Duplicates
    ) -> None:
        _ = self.ctx.gettext
        if rid == self.report_id:
            for att, image in added:
                self._add_item(att, image)
        self.status.setText(
            self.ctx.i18n.ngettext("{n} file added", "{n} files added", len(added)).format(
                n=len(added)
            )
        )
        self.changed.emit()
        self.import_finished.emit(len(added))
        if problems:
            self._tell(_("Some files were not imported"), "\n\n".join(problems[:20]))
        if duplicates and rid == self.report_id:
            self._ask_duplicates(duplicates)

    def _tell(self, title: str, text: str) -> None:
        """A warning that does not block the event loop (imports and saves go on behind it)."""
        ok = QMessageBox.StandardButton.Ok
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, ok, self)
        box.setObjectName("attachmentProblems")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _ask_duplicates(self, duplicates: Duplicates) -> None:
        """Files already attached to another report: stored again only if the monitor says so."""
        _ = self.ctx.gettext
        paths = [p for p, _m in duplicates]

        def again() -> None:
            self.import_files(paths, allow_duplicate=True)

        self.duplicate_question = confirm(
            self,
            name="duplicateQuestion",
            title=_("Already in another report"),
            text="\n\n".join(message for _p, message in duplicates[:10]),
            yes=_("Attach here too"),
            no=_("Do not attach"),
            then=again,
            destructive=False,
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("")
        self._tell(self.ctx.gettext("Photos and files"), user_message(exc, self.ctx.gettext))

    # ---------------------------------------------------------------- view / remove
    def _selected(self) -> Attachment | None:
        row = self.list.currentRow()
        return self.attachments[row] if 0 <= row < len(self.attachments) else None

    def view_selected(self) -> None:
        att = self._selected()
        if att is not None:
            editable = not self.read_only and self.report_id is not None
            index = self.attachments.index(att)
            viewer = PhotoViewer(self.ctx, self.attachments, index, self, editable=editable)
            viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            viewer.use_position.connect(self.position_from_photo.emit)
            viewer.open()

    def _use_position(self) -> None:
        att = self._selected()
        if att is not None and not self.read_only and has_gps(att):
            self.position_from_photo.emit(att)

    def save_caption(self) -> None:
        """Store the caption typed for the selected attachment (drafts only)."""
        att = self._selected()
        text = self.caption.text().strip()
        if att is None or self.read_only or text == att.caption:
            return
        aid = AttachmentId(att.id)

        def saved(new: Attachment) -> None:
            if att in self.attachments:
                row = self.attachments.index(att)
                self.attachments[row] = new
                item = self.list.item(row)
                if item is not None:
                    self._label(item, new)
            self.changed.emit()

        self.ctx.runner.call(lambda s: s.reports.set_caption(aid, text)).success(saved).failure(
            self._failed
        )

    def remove_selected(self) -> None:
        _ = self.ctx.gettext
        att = self._selected()
        if att is None or self.read_only:
            return
        answer = QMessageBox.question(
            self,
            _("Remove file"),
            _("Remove {name} from this draft? The encrypted copy is deleted.").format(
                name=att.original_name
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        aid = AttachmentId(att.id)

        def removed(_r: None) -> None:
            row = self.attachments.index(att) if att in self.attachments else -1
            if row >= 0:
                self.attachments.pop(row)
                self.list.takeItem(row)
            self._update_buttons()
            self.changed.emit()

        self.ctx.runner.call(lambda s: s.reports.remove_attachment(aid)).success(removed).failure(
            self._failed
        )
