// Stand-in for std::ios_base_library_init() (new in GCC 13, GLIBCXX_3.4.32), which Debian 12's
// libstdc++ (GCC 12) lacks. Making sure the standard streams are initialised is all it has to do.
#include <ios>
extern "C" void _ZSt21ios_base_library_initv() { static std::ios_base::Init init; }
