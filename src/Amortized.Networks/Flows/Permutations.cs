using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>Which permutation a <see cref="CouplingFlow"/> puts before each coupling.</summary>
public enum PermutationKind
{
    /// <summary>No permutation (the dual coupling already transforms both halves).</summary>
    None,
    /// <summary>A fixed random permutation drawn at construction.</summary>
    Random,
    /// <summary>Reverses the feature order (swaps the halves).</summary>
    Swap,
    /// <summary>A learnable invertible linear map in LU form (Kingma and Dhariwal 2018).</summary>
    Learnable,
}

/// <summary>A fixed feature permutation y[:, j] = x[:, perm[j]]; log|det| = 0. Shapes: (B, D).</summary>
public sealed class FixedPermutation : Module, IInvertibleLayer
{
    private readonly int[] _forward;
    private readonly int[] _inverse;

    /// <summary>Creates the permutation <paramref name="permutation"/> of 0..D-1.</summary>
    public FixedPermutation(string name, int[] permutation) : base(name)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        var seen = new bool[permutation.Length];
        foreach (int p in permutation)
        {
            if ((uint)p >= (uint)permutation.Length || seen[p])
                throw new ArgumentException($"FixedPermutation '{name}': [{string.Join(", ", permutation)}] is not a " +
                    $"permutation of 0..{permutation.Length - 1}.", nameof(permutation));
            seen[p] = true;
        }
        _forward = (int[])permutation.Clone();
        _inverse = new int[permutation.Length];
        for (int j = 0; j < permutation.Length; j++) _inverse[permutation[j]] = j;
    }

    /// <summary>A uniformly random permutation of D features.</summary>
    public static FixedPermutation Random(string name, int features, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var perm = new int[features];
        rng.Permutation(perm);
        return new FixedPermutation(name, perm);
    }

    /// <summary>The reversal D-1, ..., 0.</summary>
    public static FixedPermutation Swap(string name, int features)
    {
        var perm = new int[features];
        for (int j = 0; j < features; j++) perm[j] = features - 1 - j;
        return new FixedPermutation(name, perm);
    }

    /// <summary>The permutation (y[:, j] = x[:, Indices[j]]).</summary>
    public IReadOnlyList<int> Indices => _forward;

    /// <inheritdoc />
    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions)
    {
        FlowChecks.Input(this, x, _forward.Length);
        return (x.IndexSelect(1, _forward), Tensor.Zeros(new Shape(x.Shape[0])));
    }

    /// <inheritdoc />
    public (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor? conditions)
    {
        FlowChecks.Input(this, y, _forward.Length);
        return (y.IndexSelect(1, _inverse), Tensor.Zeros(new Shape(y.Shape[0])));
    }

    /// <inheritdoc />
    protected override string Describe() => $"FixedPermutation([{string.Join(", ", _forward)}])";
}

/// <summary>
/// Learnable invertible linear map y = x W with W = P L (U + diag(sign * exp(logS))): P a fixed permutation,
/// L unit lower triangular, U strictly upper triangular (Kingma and Dhariwal 2018, "Glow", section 3.2).
/// log|det W| = sum(logS). Initialised from the LU decomposition of a random orthogonal matrix.
/// </summary>
public sealed class LuPermutation : Module, IInvertibleLayer
{
    private readonly Tensor _permutation;   // P (D, D), constant
    private readonly Tensor _lowerMask;     // 1 strictly below the diagonal
    private readonly Tensor _upperMask;     // 1 strictly above the diagonal
    private readonly Tensor _identity;
    private readonly Tensor _sign;          // sign of U's diagonal (D), constant

    /// <summary>Creates the layer for D features.</summary>
    public LuPermutation(ParameterStore store, string name, int features, Rng rng) : base(name)
    {
        Features = features;
        int d = features;
        var w = new float[d * d];
        Initializers.Fill(Initializer.Orthogonal, w, new Shape(d, d), rng);
        LuDecompose(w, d, out var perm, out var lower, out var upper);
        Lower = AddParameter(store, "lower", new Shape(d, d), Initializer.Zeros, rng);
        Upper = AddParameter(store, "upper", new Shape(d, d), Initializer.Zeros, rng);
        LogS = AddParameter(store, "log_s", new Shape(d), Initializer.Zeros, rng);
        // Constants live on the heap, never in a step's workspace.
        _lowerMask = Tensor.Wrap(new float[d * d], 0, new Shape(d, d));
        _upperMask = Tensor.Wrap(new float[d * d], 0, new Shape(d, d));
        _identity = Tensor.Wrap(new float[d * d], 0, new Shape(d, d));
        _sign = Tensor.Wrap(new float[d], 0, new Shape(d));
        for (int i = 0; i < d; i++)
        {
            _identity[i, i] = 1f;
            _sign.Span[i] = Math.Sign(upper[i * d + i]);
            LogS.Span[i] = (float)Math.Log(Math.Abs(upper[i * d + i]));
            for (int j = 0; j < d; j++)
            {
                if (j < i) { _lowerMask[i, j] = 1f; Lower[i, j] = (float)lower[i * d + j]; }
                if (j > i) { _upperMask[i, j] = 1f; Upper[i, j] = (float)upper[i * d + j]; }
            }
        }
        // LuDecompose gives A[perm] = L U, so A = Pinv L U with Pinv[perm[i], i] = 1: store Pinv.
        var pinv = Tensor.Wrap(new float[d * d], 0, new Shape(d, d));
        for (int i = 0; i < d; i++) pinv[perm[i], i] = 1f;
        _permutation = pinv;
    }

    /// <summary>D.</summary>
    public int Features { get; }

    /// <summary>Strictly lower part of L (D, D); entries on and above the diagonal are ignored.</summary>
    public Tensor Lower { get; }

    /// <summary>Strictly upper part of U (D, D).</summary>
    public Tensor Upper { get; }

    /// <summary>log|diag U| (D).</summary>
    public Tensor LogS { get; }

    /// <summary>W = P L U as a differentiable tensor (D, D).</summary>
    public Tensor Weight()
    {
        var l = Lower * _lowerMask + _identity;
        var u = Upper * _upperMask + _identity * (LogS.Exp() * _sign);
        return _permutation.MatMul(l.MatMul(u));
    }

    /// <inheritdoc />
    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions)
    {
        FlowChecks.Input(this, x, Features);
        return (x.MatMul(Weight()), Tensor.Zeros(new Shape(x.Shape[0])) + LogS.Sum());
    }

    /// <inheritdoc />
    /// <remarks>Uses W^-1 computed in double (D is small); gradients do not flow through the inverse.</remarks>
    public (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor? conditions)
    {
        FlowChecks.Input(this, y, Features);
        Tensor w;
        using (Tensors.Autodiff.Tape.NoGrad()) w = Weight();
        var inv = Tensor.Zeros(Features, Features);
        Invert(w.Span, Features, inv.Span);
        return (y.MatMul(inv), Tensor.Zeros(new Shape(y.Shape[0])) - LogS.Sum());
    }

    /// <summary>Row-pivoted LU of a (D, D): a[perm] = L U.</summary>
    private static void LuDecompose(float[] a, int d, out int[] perm, out double[] lower, out double[] upper)
    {
        var m = new double[d * d];
        for (int i = 0; i < m.Length; i++) m[i] = a[i];
        perm = new int[d];
        for (int i = 0; i < d; i++) perm[i] = i;
        lower = new double[d * d];
        for (int k = 0; k < d; k++)
        {
            int pivot = k;
            for (int i = k + 1; i < d; i++) if (Math.Abs(m[i * d + k]) > Math.Abs(m[pivot * d + k])) pivot = i;
            if (pivot != k)
            {
                for (int j = 0; j < d; j++)
                {
                    (m[k * d + j], m[pivot * d + j]) = (m[pivot * d + j], m[k * d + j]);
                    (lower[k * d + j], lower[pivot * d + j]) = (lower[pivot * d + j], lower[k * d + j]);
                }
                (perm[k], perm[pivot]) = (perm[pivot], perm[k]);
            }
            for (int i = k + 1; i < d; i++)
            {
                double f = m[i * d + k] / m[k * d + k];
                lower[i * d + k] = f;
                for (int j = k; j < d; j++) m[i * d + j] -= f * m[k * d + j];
            }
        }
        upper = m;
    }

    private static void Invert(ReadOnlySpan<float> w, int d, Span<float> result)
    {
        // Gauss-Jordan with partial pivoting in double.
        var a = new double[d * 2 * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) a[i * 2 * d + j] = w[i * d + j];
            a[i * 2 * d + d + i] = 1;
        }
        for (int k = 0; k < d; k++)
        {
            int pivot = k;
            for (int i = k + 1; i < d; i++) if (Math.Abs(a[i * 2 * d + k]) > Math.Abs(a[pivot * 2 * d + k])) pivot = i;
            for (int j = 0; j < 2 * d; j++)
                (a[k * 2 * d + j], a[pivot * 2 * d + j]) = (a[pivot * 2 * d + j], a[k * 2 * d + j]);
            double p = a[k * 2 * d + k];
            for (int j = 0; j < 2 * d; j++) a[k * 2 * d + j] /= p;
            for (int i = 0; i < d; i++)
            {
                if (i == k) continue;
                double f = a[i * 2 * d + k];
                for (int j = 0; j < 2 * d; j++) a[i * 2 * d + j] -= f * a[k * 2 * d + j];
            }
        }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) result[i * d + j] = (float)a[i * 2 * d + d + j];
    }

    /// <inheritdoc />
    protected override string Describe() => $"LuPermutation({Features})";
}
