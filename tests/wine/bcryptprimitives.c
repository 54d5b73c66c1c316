/* For tests/windows.sh only, never shipped: Wine 8.0 (Debian 12) has no
 * bcryptprimitives.dll, whose ProcessPrng Rust's standard library imports on
 * Windows (as Windows 10 and later provide it). This stand-in gives Wine's
 * prefix the one function, over RtlGenRandom (advapi32), which Wine has. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) {
            return FALSE;
        }
        data += n;
        len -= n;
    }
    return TRUE;
}
