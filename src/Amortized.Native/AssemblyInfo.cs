namespace Amortized.Native;
