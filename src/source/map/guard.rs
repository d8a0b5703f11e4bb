//! Protection against files that shrink while they are mapped.
//!
//! Reading a mapped page that lies past the end of its file (another process truncated it after it
//! was mapped) raises SIGBUS, which kills the process by default. Every window registers its
//! address range here; a SIGBUS handler, installed once, puts zero-filled anonymous pages over the
//! rest of the window the fault is in, marks the window, and returns, so the read goes on and sees
//! zeros. The reader then reports the file as changed ([`crate::Error::FileChanged`]). A fault
//! outside every registered window is handed to the handler that was there before, or, if there
//! was none, kills the process as it would have without this module.

#![allow(unsafe_code)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Windows in flight at once: a few per worker. When all slots are taken, the reader uses `read`.
const SLOTS: usize = 256;

/// One registered window. `start == 0` means free; a window is written `len` first, then `start`,
/// so the handler never sees a start with a stale length.
struct Slot {
    taken: AtomicBool,
    start: AtomicUsize,
    len: AtomicUsize,
    faulted: AtomicBool,
}

static WINDOWS: [Slot; SLOTS] = [const {
    Slot {
        taken: AtomicBool::new(false),
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        faulted: AtomicBool::new(false),
    }
}; SLOTS];

/// The page size and the disposition SIGBUS had before, once the handler is installed; `None` when
/// installing failed (then nothing is mapped under protection and readers use `read`).
static INSTALLED: OnceLock<Option<Installed>> = OnceLock::new();

struct Installed {
    page_size: usize,
    previous: libc::sigaction,
}

/// A window's registration; dropping it frees the slot (before the window is unmapped).
pub(crate) struct Registration {
    slot: &'static Slot,
}

impl Registration {
    /// Registers `len` bytes at `start`; `None` when the handler could not be installed or every
    /// slot is taken (the caller then must not map).
    pub(crate) fn new(start: *const u8, len: usize) -> Option<Registration> {
        INSTALLED.get_or_init(install).as_ref()?;
        let slot = WINDOWS
            .iter()
            .find(|slot| slot.taken.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok())?;
        slot.faulted.store(false, Ordering::Release);
        slot.len.store(len, Ordering::Release);
        slot.start.store(start as usize, Ordering::Release);
        Some(Registration { slot })
    }

    /// Whether a read in the window hit a page past the end of the file.
    pub(crate) fn faulted(&self) -> bool {
        self.slot.faulted.load(Ordering::Acquire)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.slot.start.store(0, Ordering::Release);
        self.slot.len.store(0, Ordering::Release);
        self.slot.taken.store(false, Ordering::Release);
    }
}

fn install() -> Option<Installed> {
    // SAFETY: sysconf has no preconditions.
    let page_size = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|&size| size > 0)?;
    // SAFETY: a zeroed sigaction is a valid "default" value; the handler has the three-argument
    // signature SA_SIGINFO requires, and only reads atomics, calls mmap and sigaction, and writes
    // atomics.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&raw mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &raw const action, &raw mut previous) != 0 {
            return None;
        }
        Some(Installed { page_size, previous })
    }
}

extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let Some(Some(installed)) = INSTALLED.get() else { return };
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    for slot in &WINDOWS {
        let start = slot.start.load(Ordering::Acquire);
        let len = slot.len.load(Ordering::Acquire);
        if start == 0 || address < start || address >= start + len {
            continue;
        }
        let page = installed.page_size;
        let from = address & !(page - 1);
        let to = (start + len).div_ceil(page) * page;
        // SAFETY: [from, to) lies inside a live mapping that dpolint owns (the window is registered
        // until just before it is unmapped, and the faulting read is inside it); replacing its
        // pages with anonymous zero pages changes only what those reads return.
        let replaced = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                to - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if replaced != libc::MAP_FAILED {
            slot.faulted.store(true, Ordering::Release);
            return;
        }
    }
    // Not a window of ours: what would have happened without this handler.
    let previous = &installed.previous;
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // SAFETY: restoring the default disposition; returning re-runs a faulting instruction,
        // which now terminates the process with SIGBUS as usual (an ignored SIGBUS from a fault
        // cannot be ignored either: it would fault forever). A SIGBUS sent by `kill` or `raise`
        // (si_code <= 0) is raised again, to be delivered with the default action on return.
        unsafe {
            let mut default: libc::sigaction = std::mem::zeroed();
            default.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(libc::SIGBUS, &raw const default, std::ptr::null_mut());
            if (*info).si_code <= 0 {
                libc::raise(signal);
            }
        }
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it has this signature.
        let previous: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        previous(signal, info, context);
    } else {
        // SAFETY: without SA_SIGINFO the previous handler takes the signal number only.
        let previous: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        previous(signal);
    }
}
