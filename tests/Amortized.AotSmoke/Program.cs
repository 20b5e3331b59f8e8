// Runs a few kernels under Native AOT; exits non-zero if a result is wrong.
using Amortized.Kernels.Cpu;

float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
bool ok = c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50;
Console.WriteLine($"AOT smoke: gemm {(ok ? "ok" : "WRONG")}");
return ok ? 0 : 1;
