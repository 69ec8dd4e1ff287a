"""What a sound recording says about itself, read from its header only (never decoded or played).

Only WAV states its length in a form the standard library reads (``wave``); for MP3, Ogg/Opus,
M4A, FLAC and AMR the length is not computed and the vault shows the size alone.
"""

from __future__ import annotations

import io
import wave

from kpfield.errors import N_, MediaError


def audio_duration_ms(data: bytes, mime: str, name: str) -> int | None:
    """The recording's length in milliseconds where the format states it, else ``None``.

    A WAV whose header cannot be read at all is refused; one in a sample format ``wave`` does
    not know (ADPCM, GSM, …) is accepted with no length.
    """
    if mime != "audio/wav":
        return None
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            rate = w.getframerate()
            frame = w.getsampwidth() * w.getnchannels()
            frames = w.getnframes()
    except wave.Error as exc:
        if str(exc).startswith("unknown format"):
            return None
        raise MediaError(N_("{name} is not a complete WAV recording."), name=name) from None
    except (EOFError, ValueError, OverflowError):
        raise MediaError(N_("{name} is not a complete WAV recording."), name=name) from None
    if rate <= 0 or frame <= 0:
        raise MediaError(N_("{name} is not a complete WAV recording."), name=name)
    # The header's frame count is a claim: never more frames than the file has bytes for.
    frames = min(frames, len(data) // frame)
    return frames * 1000 // rate
