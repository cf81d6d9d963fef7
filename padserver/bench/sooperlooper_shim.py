"""SooperLooper on a machine without an ALSA sequencer (no sound card): its MIDI port asks the sequencer that
failed to open for its poll descriptors, and an assertion in libasound ends the process. A preloaded library
answers "none" for that case only; built once with the C compiler into the cache folder."""

from __future__ import annotations

import os
import shutil
import subprocess

SOURCE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stddef.h>

int snd_seq_poll_descriptors(void *seq, struct pollfd *pfds, unsigned int space, short events) {
    static int (*real)(void *, struct pollfd *, unsigned int, short);
    if (seq == NULL)
        return -1;
    if (real == NULL)
        real = (int (*)(void *, struct pollfd *, unsigned int, short))dlsym(RTLD_NEXT, "snd_seq_poll_descriptors");
    return real(seq, pfds, space, events);
}
"""


def preload_env() -> dict:
    """What SooperLooper's environment needs here: nothing with a sequencer; else the shim (or an error)."""
    if os.path.exists("/dev/snd/seq"):
        return {}
    folder = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "padserver")
    library = os.path.join(folder, "sooperlooper-noseq.so")
    if not os.path.exists(library):
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise RuntimeError(
                "no ALSA sequencer here, and no C compiler to build SooperLooper's shim (apt-get install gcc)"
            )
        os.makedirs(folder, exist_ok=True)
        source = library[:-3] + ".c"
        with open(source, "w") as fh:
            fh.write(SOURCE)
        subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"], check=True)
    return {"LD_PRELOAD": library}
