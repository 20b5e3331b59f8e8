using Amortized.Kernels.Cpu;
using Amortized.Tensors.Backends;
using Amortized.Tensors.Ops;

namespace Amortized.Tensors;

// The public op surface: each method is one call into the op class that holds forward and backward.
public sealed partial class Tensor
{
    // ---- elementwise arithmetic (NumPy broadcasting) ----

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => BinaryOp.Forward(BinaryKind.Add, a, b);
    /// <summary>a - b with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => BinaryOp.Forward(BinaryKind.Sub, a, b);
    /// <summary>a * b elementwise with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => BinaryOp.Forward(BinaryKind.Mul, a, b);
    /// <summary>a / b elementwise with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => BinaryOp.Forward(BinaryKind.Div, a, b);
    /// <summary>-a.</summary>
    public static Tensor operator -(Tensor a) => UnaryOp.Forward(UnaryKind.Neg, a);
    /// <summary>a + c.</summary>
    public static Tensor operator +(Tensor a, float c) => UnaryOp.Forward(UnaryKind.AddScalar, a, c);
    /// <summary>c + a.</summary>
    public static Tensor operator +(float c, Tensor a) => UnaryOp.Forward(UnaryKind.AddScalar, a, c);
    /// <summary>a - c.</summary>
    public static Tensor operator -(Tensor a, float c) => UnaryOp.Forward(UnaryKind.AddScalar, a, -c);
    /// <summary>c - a.</summary>
    public static Tensor operator -(float c, Tensor a) =>
        UnaryOp.Forward(UnaryKind.AddScalar, UnaryOp.Forward(UnaryKind.Neg, a), c);
    /// <summary>a * c.</summary>
    public static Tensor operator *(Tensor a, float c) => UnaryOp.Forward(UnaryKind.MulScalar, a, c);
    /// <summary>c * a.</summary>
    public static Tensor operator *(float c, Tensor a) => UnaryOp.Forward(UnaryKind.MulScalar, a, c);
    /// <summary>a / c.</summary>
    public static Tensor operator /(Tensor a, float c) => UnaryOp.Forward(UnaryKind.MulScalar, a, 1f / c);

    /// <summary>this ^ exponent elementwise, with broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => BinaryOp.Forward(BinaryKind.Pow, this, exponent);
    /// <summary>this ^ p elementwise.</summary>
    public Tensor Pow(float p) => UnaryOp.Forward(UnaryKind.PowScalar, this, p);
    /// <summary>this^2 elementwise.</summary>
    public Tensor Square() => UnaryOp.Forward(UnaryKind.PowScalar, this, 2f);
    /// <summary>exp elementwise.</summary>
    public Tensor Exp() => UnaryOp.Forward(UnaryKind.Exp, this);
    /// <summary>Natural log elementwise.</summary>
    public Tensor Log() => UnaryOp.Forward(UnaryKind.Log, this);
    /// <summary>Square root elementwise.</summary>
    public Tensor Sqrt() => UnaryOp.Forward(UnaryKind.Sqrt, this);
    /// <summary>Inverse hyperbolic sine elementwise.</summary>
    public Tensor Asinh() => UnaryOp.Forward(UnaryKind.Asinh, this);
    /// <summary>|x| elementwise.</summary>
    public Tensor Abs() => UnaryOp.Forward(UnaryKind.Abs, this);
    /// <summary>min(max(x, min), max) elementwise.</summary>
    public Tensor Clamp(float min, float max) => UnaryOp.Forward(UnaryKind.Clamp, this, min, max);
    /// <summary>Elementwise where(mask != 0, a, b), all three of one shape.</summary>
    public static Tensor Where(Tensor mask, Tensor a, Tensor b) => WhereOp.Forward(mask, a, b);

    // ---- activations ----

    /// <summary>Applies an activation function elementwise.</summary>
    public Tensor Activate(Activation kind) => ActivationOp.Forward(kind, this);
    /// <summary>tanh elementwise.</summary>
    public Tensor Tanh() => ActivationOp.Forward(Activation.Tanh, this);
    /// <summary>Logistic sigmoid elementwise.</summary>
    public Tensor Sigmoid() => ActivationOp.Forward(Activation.Sigmoid, this);
    /// <summary>log(1 + exp(x)) elementwise, stable for large |x|.</summary>
    public Tensor Softplus() => ActivationOp.Forward(Activation.Softplus, this);
    /// <summary>max(x, 0) elementwise.</summary>
    public Tensor Relu() => ActivationOp.Forward(Activation.Relu, this);
    /// <summary>x sigmoid(x) elementwise.</summary>
    public Tensor Silu() => ActivationOp.Forward(Activation.Silu, this);

    // ---- linear algebra ----

    /// <summary>
    /// Matrix product op(this) op(other). Shapes: (..., M, K) x (..., K, N) -> (..., M, N); other may be a
    /// shared (K, N) matrix. Transposes are taken by the GEMM, not by copies.
    /// </summary>
    public Tensor MatMul(Tensor other, bool transposeThis = false, bool transposeOther = false) =>
        MatMulOp.Forward(this, other, transposeThis, transposeOther);

    /// <summary>Fused dense layer f(x W + b): x (..., I), weight (I, O), bias (O) or null -> (..., O).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, Activation activation = Activation.Identity) =>
        LinearOp.Forward(x, weight, bias, activation);

    // ---- coupling transforms ----

    /// <summary>
    /// Fused affine coupling of x (B, D) with parameters (B, 2D) = [a | t] per row: forward y = x exp(logS(a)) + t
    /// and logDet = sum_j logS(a_j) (B); with <paramref name="inverse"/>, y = (x - t) exp(-logS(a)) and
    /// logDet = -sum_j logS(a_j). Both outputs are differentiable with respect to x and parameters.
    /// </summary>
    public static (Tensor Y, Tensor LogDet) AffineCoupling(Tensor x, Tensor parameters,
        AffineScaleKind kind, bool inverse) =>
        AffineCouplingOp.Forward(x, parameters, kind, inverse);

    /// <summary>
    /// Fused rational-quadratic spline coupling (Durkan et al. 2019) of x (B, D) with raw parameters (B, D * P),
    /// P = 3K - 1 per feature ([K width logits | K height logits | K - 1 interior derivative pre-activations]):
    /// y = spline(x) where |x| &lt;= Bound and y = x elsewhere, logDet (B) = sum of log dy/dx over the row; with
    /// <paramref name="inverse"/>, y = spline^-1(x) and logDet = -sum log f' at y. Both outputs are differentiable
    /// with respect to x and the parameters.
    /// </summary>
    public static (Tensor Y, Tensor LogDet) SplineCoupling(Tensor x, Tensor rawParameters,
        SplineCouplingOptions options, bool inverse) =>
        SplineCouplingOp.Forward(x, rawParameters, options, inverse);

    // ---- reductions ----

    /// <summary>Sum of all elements, as a scalar.</summary>
    public Tensor Sum() => ReduceOp.All(this, 1f);
    /// <summary>Mean of all elements, as a scalar.</summary>
    public Tensor Mean() => ReduceOp.All(this, Size == 0 ? float.NaN : 1f / Size);
    /// <summary>Sum along an axis.</summary>
    public Tensor Sum(int axis, bool keepDims = false) => ReduceOp.Forward(ReduceKind.Sum, this, axis, keepDims);
    /// <summary>Mean along an axis.</summary>
    public Tensor Mean(int axis, bool keepDims = false) =>
        ReduceOp.Forward(ReduceKind.Sum, this, axis, keepDims, 1f / Shape[axis]);
    /// <summary>Maximum along an axis (gradient to the first maximum).</summary>
    public Tensor Max(int axis, bool keepDims = false) => ReduceOp.Forward(ReduceKind.Max, this, axis, keepDims);
    /// <summary>log(sum(exp(x))) along an axis, computed stably.</summary>
    public Tensor LogSumExp(int axis, bool keepDims = false) =>
        ReduceOp.Forward(ReduceKind.LogSumExp, this, axis, keepDims);
    /// <summary>Softmax along an axis.</summary>
    public Tensor Softmax(int axis = -1) => SoftmaxOp.Forward(this, axis);

    /// <summary>Layer normalisation over the last axis with optional affine gamma, beta (D).</summary>
    public Tensor LayerNorm(Tensor? gamma, Tensor? beta, float epsilon = 1e-5f) =>
        LayerNormOp.Forward(this, gamma, beta, epsilon);

    // ---- layout ----

    /// <summary>A view with a new shape of the same size; one dimension may be -1 (inferred).</summary>
    public Tensor Reshape(params int[] dims)
    {
        Span<int> d = stackalloc int[dims.Length];
        int known = 1, infer = -1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0)
                    throw new ArgumentException($"Reshape: more than one -1 in ({string.Join(", ", dims)}).");
                infer = i;
                continue;
            }
            d[i] = dims[i];
            known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Size % known != 0)
                throw new ArgumentException(
                    $"Reshape: tensor of shape {Shape} cannot be viewed as ({string.Join(", ", dims)}).");
            d[infer] = Size / known;
        }
        return ReshapeOp.Forward(this, new Shape(d));
    }

    /// <summary>A view with a new shape of the same size.</summary>
    public Tensor Reshape(Shape shape) => ReshapeOp.Forward(this, shape);
    /// <summary>Permutes the axes: result axis k is this tensor's axis permutation[k] (copies).</summary>
    public Tensor Permute(params int[] permutation) => PermuteOp.Forward(this, permutation);

    /// <summary>Swaps two axes (copies).</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1)
    {
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        int a0 = Shape.NormalizeAxis(axis0), a1 = Shape.NormalizeAxis(axis1);
        (perm[a0], perm[a1]) = (perm[a1], perm[a0]);
        return PermuteOp.Forward(this, perm);
    }

    /// <summary>Broadcasts to a larger shape (copies).</summary>
    public Tensor BroadcastTo(Shape shape) => BroadcastOp.Forward(this, shape);
    /// <summary>Elements [start, start + length) along an axis.</summary>
    public Tensor Slice(int axis, int start, int length) => SliceOp.Forward(this, axis, start, length);
    /// <summary>Concatenates tensors along an axis (all other dimensions equal).</summary>
    public static Tensor Concat(ReadOnlySpan<Tensor> parts, int axis) => SliceOp.Concat(parts, axis);
    /// <summary>Concatenates two tensors along an axis.</summary>
    public static Tensor Concat(Tensor a, Tensor b, int axis) => SliceOp.Concat([a, b], axis);

    /// <summary>Splits along an axis into pieces of the given sizes (which must add up to the axis length).</summary>
    public Tensor[] Split(int axis, params int[] sizes)
    {
        int total = 0;
        foreach (int s in sizes) total += s;
        if (total != Shape[axis])
            throw new ArgumentException($"Split: sizes ({string.Join(", ", sizes)}) add up to {total}, but axis " +
                $"{axis} of {Shape} has {Shape[axis]}.");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = SliceOp.Forward(this, axis, start, sizes[i]);
            start += sizes[i];
        }
        return parts;
    }

    /// <summary>
    /// Selects entries along an axis by index (repeats allowed). The index array is kept until backward.
    /// </summary>
    public Tensor IndexSelect(int axis, int[] indices) => GatherOp.Forward(this, axis, indices);
}
