"""Words shown for stored values (enums, field paths, problems), marked for translation.

Stored values stay English identifiers; only these labels are translated, at display time.
"""

from __future__ import annotations

from collections.abc import Callable

from kpfield.domain.models import (
    AgeGroup,
    ConsentMethod,
    CoordinateSource,
    DatePrecision,
    Gender,
    ReportStatus,
    WitnessRole,
)
from kpfield.errors import N_

Gettext = Callable[[str], str]

STATUS = {
    ReportStatus.DRAFT: N_("Draft"),
    ReportStatus.SEALED: N_("Sealed"),
    ReportStatus.EXPORTED: N_("Exported"),
    ReportStatus.SENT: N_("Sent to the relay"),
    ReportStatus.ACKNOWLEDGED: N_("Received by HQ"),
}
PRECISION = {
    DatePrecision.DAY: N_("exact day"),
    DatePrecision.MONTH: N_("month only"),
    DatePrecision.YEAR: N_("year only"),
}
COORD_SOURCE = {
    CoordinateSource.GPS_DEVICE: N_("GPS device"),
    CoordinateSource.PHOTO_EXIF: N_("Photo location data"),
    CoordinateSource.MAP: N_("Read from a map"),
    CoordinateSource.ESTIMATED: N_("Estimated"),
}
CONSENT_METHOD = {
    ConsentMethod.WRITTEN: N_("Written and signed"),
    ConsentMethod.VERBAL_RECORDED: N_("Spoken, audio recorded"),
    ConsentMethod.VERBAL_WITNESSED: N_("Spoken, in front of a witness"),
    ConsentMethod.THUMBPRINT: N_("Thumbprint"),
}
AGE_GROUP = {
    AgeGroup.UNKNOWN: N_("Not known"),
    AgeGroup.CHILD: N_("Under 18"),
    AgeGroup.YOUNG: N_("18 to 29"),
    AgeGroup.ADULT: N_("30 to 49"),
    AgeGroup.OLDER: N_("50 or older"),
}
GENDER = {
    Gender.UNDISCLOSED: N_("Not disclosed"),
    Gender.FEMALE: N_("Woman"),
    Gender.MALE: N_("Man"),
    Gender.OTHER: N_("Other"),
}
ROLE = {
    WitnessRole.VICTIM: N_("Victim"),
    WitnessRole.EYEWITNESS: N_("Eyewitness"),
    WitnessRole.FAMILY: N_("Family member"),
    WitnessRole.COMMUNITY: N_("Community member"),
    WitnessRole.OFFICIAL: N_("Official"),
    WitnessRole.OTHER: N_("Other role"),
}
SCOPE = {
    "coalition_use": N_("use this testimony in its own work"),
    "share_with_kp": N_("share it with Kimberley Process bodies"),
    "publish_anonymised": N_("publish it with names and places removed"),
    "recontact": N_("contact them again"),
    "identity_to_hq": N_("keep their name and how to reach them at HQ"),
}
FIELD = {
    "title": N_("Title"),
    "incident.date": N_("Date of the incident"),
    "incident.categories": N_("What happened (categories)"),
    "place.country": N_("Country"),
    "place.site": N_("Site or area"),
    "narrative": N_("Narrative"),
    "incident.date.date": N_("Date of the incident"),
    "incident.people_affected": N_("People affected"),
    "place.coordinates.lat_micro": N_("Latitude"),
    "place.coordinates.lon_micro": N_("Longitude"),
    "place.coordinates.source": N_("Where the position came from"),
    "monitor_notes": N_("Notes for HQ"),
    "private_notes": N_("Private notes"),
}
PROBLEM = {
    "is required": N_("is required"),
    "choose at least one category": N_("choose at least one category"),
    "give the site or the area": N_("give the site or the area"),
    "consent has not been recorded": N_("consent has not been recorded"),
    "declined consent: remove them from this report": N_(
        "declined consent: remove them from this report"
    ),
    "the date consent was given is missing": N_("the date consent was given is missing"),
    "consent is given but nothing is ticked: tick what the witness agreed to": N_(
        "consent is given but nothing is ticked: tick what the witness agreed to"
    ),
    # Rules the document parser applies at seal (drafts are saved as typed).
    "must be a two-letter ISO 3166 code in capitals, like SL or CD": N_(
        "must be a two-letter country code, like SL or CD"
    ),
    "is in the future": N_("is in the future; check the date and the laptop's clock"),
    "is not a real date": N_("is not a real date"),
    "must look like 2026-10-03, 2026-10 or 2026": N_("must look like 2026-10-03, 2026-10 or 2026"),
    "contains a NUL character": N_("contains a character that cannot be kept"),
}
CUSTODY_EVENT = {
    "created": N_("Created"),
    "sealed": N_("Sealed"),
    "amended": N_("Amended (new version)"),
    "exported": N_("Exported"),
    "sent": N_("Sent to the relay"),
    "receipt": N_("Receipt from the relay"),
    "acknowledged": N_("Received by HQ"),
    "purged": N_("Content removed after delivery"),
    "consent_withdrawn": N_("A witness withdrew consent"),
    "deleted": N_("Draft deleted"),
}


def problem_text(path: str, what: str, _: Gettext) -> str:
    """One line of the 'what is missing' list, in the user's language."""
    if path.startswith("witness '"):
        name = path[len("witness '") : -1]
        return _("Witness {pseudonym}: {problem}").format(
            pseudonym=name, problem=_(PROBLEM.get(what, what))
        )
    return _("{field}: {problem}").format(
        field=_(FIELD.get(path, path)), problem=_(PROBLEM.get(what, what))
    )
