namespace Amortized.Kernels.Cpu.Tests;

/// <summary>Double-precision oracles: a naive GEMM and each activation with its analytic derivative.</summary>
internal static class Reference
{
    /// <summary>
    /// pre[i, j] = alpha sum_p op(A)[i, p] op(B)[p, j] + beta C[i, j] + bias[j] in double, and scale[i, j] =
    /// |alpha| sum_p |op(A) op(B)| + |beta C| + |bias|, the magnitude float rounding error is relative to.
    /// </summary>
    public static (double[] Pre, double[] Scale) Gemm(GemmData d)
    {
        var pre = new double[d.M * d.N];
        var scale = new double[d.M * d.N];
        for (int i = 0; i < d.M; i++)
        {
            for (int j = 0; j < d.N; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < d.K; p++)
                {
                    double av = d.TransA == Transpose.No ? d.A[i * d.Lda + p] : d.A[p * d.Lda + i];
                    double bv = d.TransB == Transpose.No ? d.B[p * d.Ldb + j] : d.B[j * d.Ldb + p];
                    sum += av * bv;
                    abs += Math.Abs(av * bv);
                }
                double c = d.Beta == 0 ? 0 : d.Beta * (double)d.C[i * d.Ldc + j];
                double bias = d.Bias.Length == 0 ? 0 : d.Bias[j];
                pre[i * d.N + j] = d.Alpha * sum + c + bias;
                scale[i * d.N + j] = Math.Abs(d.Alpha) * abs + Math.Abs(c) + Math.Abs(bias);
            }
        }
        return (pre, scale);
    }

    private const double GeluC = 0.79788456080286535588; // sqrt(2 / pi)
    private const double GeluK = 0.044715;

    /// <summary>f(x) in double, from the textbook definition.</summary>
    public static double Apply(Activation kind, double x) => kind switch
    {
        Activation.Identity => x,
        Activation.Relu => Math.Max(x, 0),
        Activation.Silu => x * Sigmoid(x),
        Activation.HardSilu => x * Math.Clamp(x + 3, 0, 6) / 6,
        Activation.Softplus => Softplus(x),
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => Sigmoid(x),
        // 0.5 (1 + tanh(u)) = sigmoid(2u) exactly; the sigmoid form has no cancellation for negative x.
        Activation.Gelu => x * Sigmoid(2 * GeluC * (x + GeluK * x * x * x)),
        Activation.Mish => x * Math.Tanh(Softplus(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>f'(x) in double, differentiated by hand.</summary>
    public static double Derivative(Activation kind, double x)
    {
        switch (kind)
        {
            case Activation.Identity: return 1;
            case Activation.Relu: return x > 0 ? 1 : 0;
            // 1 - sigmoid(x) = sigmoid(-x), which keeps its digits where sigmoid(x) is close to 1.
            case Activation.Silu: return Sigmoid(x) + x * Sigmoid(x) * Sigmoid(-x);
            case Activation.HardSilu: return x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6;
            case Activation.Softplus: return Sigmoid(x);
            case Activation.Tanh: { double c = Math.Cosh(x); return double.IsInfinity(c * c) ? 0 : 1 / (c * c); }
            case Activation.Sigmoid: return Sigmoid(x) * Sigmoid(-x);
            case Activation.Gelu:
            {
                // d/dx [x sigmoid(2u)] = sigmoid(2u) + x sigmoid(2u) sigmoid(-2u) 2u'.
                double z = 2 * GeluC * (x + GeluK * x * x * x);
                return Sigmoid(z) + x * Sigmoid(z) * Sigmoid(-z) * 2 * GeluC * (1 + 3 * GeluK * x * x);
            }
            case Activation.Mish:
            {
                double t = Math.Tanh(Softplus(x));
                return t + x * (1 - t * t) * Sigmoid(x);
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Central difference (f(x + h) - f(x - h)) / 2h of the double oracle.</summary>
    public static double FiniteDifference(Activation kind, double x, double h) =>
        (Apply(kind, x + h) - Apply(kind, x - h)) / (2 * h);

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>log(1 + e^x) without overflow, with log1p done by series where 1 + u would round.</summary>
    private static double Softplus(double x)
    {
        double u = Math.Exp(-Math.Abs(x));
        double log1p = u < 1e-5 ? u - u * u / 2 + u * u * u / 3 : Math.Log(1 + u);
        return Math.Max(x, 0) + log1p;
    }
}
