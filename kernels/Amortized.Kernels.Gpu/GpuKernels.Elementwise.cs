using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;
using UnaryBackwardLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, int, float, float>;
using UnaryLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, int,
    float, float>;

namespace Amortized.Kernels.Gpu;

// Launchers of the elementwise kernels (ElementwiseKernels.cs): fill, copy, scaled add, the parameterised unary ops,
// activations, select. Their CPU twins are Amortized.Kernels.Cpu's UnaryKernels and Activations.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, int, float>? _fill;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _copy;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float>? _addScaled;
    private readonly UnaryLauncher?[] _unary = new UnaryLauncher?[10];
    private readonly UnaryBackwardLauncher?[] _unaryBackward = new UnaryBackwardLauncher?[10];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>?[] _activate =
        new Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>?[9];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>?[]
        _activateBackward =
            new Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>?[9];
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _where;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, int, int>? _whereBackward;

    private UnaryLauncher UnaryKernel(UnaryKind op) =>
        _unary[(int)op] ??= op switch
        {
            UnaryKind.Neg => LoadUnary<NegOp>(),
            UnaryKind.Exp => LoadUnary<ExpOp>(),
            UnaryKind.Log => LoadUnary<LogOp>(),
            UnaryKind.Sqrt => LoadUnary<SqrtOp>(),
            UnaryKind.Abs => LoadUnary<AbsOp>(),
            UnaryKind.AddScalar => LoadUnary<AddScalarOp>(),
            UnaryKind.MulScalar => LoadUnary<MulScalarOp>(),
            UnaryKind.PowScalar => LoadUnary<PowScalarOp>(),
            UnaryKind.Clamp => LoadUnary<ClampOp>(),
            UnaryKind.Asinh => LoadUnary<AsinhOp>(),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };

    private UnaryBackwardLauncher UnaryBackwardKernel(UnaryKind op) =>
        _unaryBackward[(int)op] ??= op switch
        {
            UnaryKind.Neg => LoadUnaryBackward<NegOp>(),
            UnaryKind.Exp => LoadUnaryBackward<ExpOp>(),
            UnaryKind.Log => LoadUnaryBackward<LogOp>(),
            UnaryKind.Sqrt => LoadUnaryBackward<SqrtOp>(),
            UnaryKind.Abs => LoadUnaryBackward<AbsOp>(),
            UnaryKind.AddScalar => LoadUnaryBackward<AddScalarOp>(),
            UnaryKind.MulScalar => LoadUnaryBackward<MulScalarOp>(),
            UnaryKind.PowScalar => LoadUnaryBackward<PowScalarOp>(),
            UnaryKind.Clamp => LoadUnaryBackward<ClampOp>(),
            UnaryKind.Asinh => LoadUnaryBackward<AsinhOp>(),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };

    private UnaryLauncher LoadUnary<TOp>() where TOp : struct, IGpuUnaryOp =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(
            ElementwiseKernels.Unary<TOp>);

    private UnaryBackwardLauncher LoadUnaryBackward<TOp>() where TOp : struct, IGpuUnaryOp =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float,
            float>(ElementwiseKernels.UnaryBackward<TOp>);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int> ActivateKernel(Activation kind) =>
        _activate[CheckActivation(kind)] ??= kind switch
        {
            Activation.Identity => LoadActivate<IdentityAct>(),
            Activation.Relu => LoadActivate<ReluAct>(),
            Activation.Silu => LoadActivate<SiluAct>(),
            Activation.HardSilu => LoadActivate<HardSiluAct>(),
            Activation.Softplus => LoadActivate<SoftplusAct>(),
            Activation.Tanh => LoadActivate<TanhAct>(),
            Activation.Sigmoid => LoadActivate<SigmoidAct>(),
            Activation.Gelu => LoadActivate<GeluAct>(),
            _ => LoadActivate<MishAct>(),
        };

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int> LoadActivate<TAct>()
        where TAct : struct, IGpuActivation =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Activate<TAct>);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>
        ActivateBackwardKernel(Activation kind) =>
        _activateBackward[CheckActivation(kind)] ??= kind switch
        {
            Activation.Identity => LoadActivateBackward<IdentityAct>(),
            Activation.Relu => LoadActivateBackward<ReluAct>(),
            Activation.Silu => LoadActivateBackward<SiluAct>(),
            Activation.HardSilu => LoadActivateBackward<HardSiluAct>(),
            Activation.Softplus => LoadActivateBackward<SoftplusAct>(),
            Activation.Tanh => LoadActivateBackward<TanhAct>(),
            Activation.Sigmoid => LoadActivateBackward<SigmoidAct>(),
            Activation.Gelu => LoadActivateBackward<GeluAct>(),
            _ => LoadActivateBackward<MishAct>(),
        };

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>
        LoadActivateBackward<TAct>() where TAct : struct, IGpuActivation =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            ElementwiseKernels.ActivateBackward<TAct>);

    private static int CheckActivation(Activation kind) =>
        (uint)kind <= (uint)Activation.Mish
            ? (int)kind : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");

    /// <summary>y[i] = value for every element of y.</summary>
    public void Fill(ArrayView<float> y, float value)
    {
        int n = Count(y, nameof(y));
        if (n == 0)
            return;
        (_fill ??= Accelerator.LoadStreamKernel<ArrayView<float>, int, float>(
            ElementwiseKernels.Fill))(Config(n), y, n, value);
    }

    /// <summary>dst = src; both (N), not overlapping.</summary>
    public void Copy(ArrayView<float> src, ArrayView<float> dst)
    {
        int n = Count(dst, nameof(dst));
        Require(src, n, nameof(src));
        if (n == 0)
            return;
        (_copy ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(
            ElementwiseKernels.Copy))(Config(n), src, dst, n);
    }

    /// <summary>dst += scale * src; both (N).</summary>
    public void AddScaled(ArrayView<float> src, ArrayView<float> dst, float scale)
    {
        int n = Count(dst, nameof(dst));
        Require(src, n, nameof(src));
        if (n == 0)
            return;
        (_addScaled ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float>(
            ElementwiseKernels.AddScaled))(Config(n), src, dst, n, scale);
    }

    /// <summary>y = op(x; p0, p1) elementwise (see <see cref="UnaryKind"/>); x and y are (N), y may be x.</summary>
    public void Unary(UnaryKind op, ArrayView<float> x, ArrayView<float> y, float p0, float p1)
    {
        int n = Count(y, nameof(y));
        Require(x, n, nameof(x));
        var kernel = UnaryKernel(op);
        if (n > 0)
            kernel(Config(n), x, y, n, p0, p1);
    }

    /// <summary>
    /// dx += dy * op'(x) elementwise, given x and the forward output y = op(x) (Exp and Sqrt use y); all (N).
    /// </summary>
    public void UnaryBackward(UnaryKind op, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy,
        ArrayView<float> dx, float p0, float p1)
    {
        int n = Count(dx, nameof(dx));
        Require(x, n, nameof(x));
        Require(y, n, nameof(y));
        Require(dy, n, nameof(dy));
        var kernel = UnaryBackwardKernel(op);
        if (n > 0)
            kernel(Config(n), x, y, dy, dx, n, p0, p1);
    }

    /// <summary>y = f(x) elementwise for the activation <paramref name="kind"/>; (N).</summary>
    public void Activate(Activation kind, ArrayView<float> x, ArrayView<float> y)
    {
        int n = Count(y, nameof(y));
        Require(x, n, nameof(x));
        var kernel = ActivateKernel(kind);
        if (n > 0)
            kernel(Config(n), x, y, n);
    }

    /// <summary>
    /// dx = dy * f'(x), or dx += when <paramref name="accumulate"/>; x is the pre-activation input; all (N).
    /// </summary>
    public void ActivateBackward(Activation kind, ArrayView<float> x, ArrayView<float> dy,
        ArrayView<float> dx, bool accumulate)
    {
        int n = Count(dx, nameof(dx));
        Require(x, n, nameof(x));
        Require(dy, n, nameof(dy));
        var kernel = ActivateBackwardKernel(kind);
        if (n > 0)
            kernel(Config(n), x, dy, dx, n, accumulate ? 1 : 0);
    }

    /// <summary>y = mask != 0 ? a : b elementwise; all (N).</summary>
    public void Where(ArrayView<float> mask, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y)
    {
        int n = Count(y, nameof(y));
        Require(mask, n, nameof(mask));
        Require(a, n, nameof(a));
        Require(b, n, nameof(b));
        if (n == 0)
            return;
        (_where ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            int>(ElementwiseKernels.Where))(Config(n), mask, a, b, y, n);
    }

    /// <summary>da += dy where mask != 0, db += dy elsewhere; da or db may be empty (absent); all (N).</summary>
    public void WhereBackward(ArrayView<float> mask, ArrayView<float> dy, ArrayView<float> da, ArrayView<float> db)
    {
        int n = Count(dy, nameof(dy));
        Require(mask, n, nameof(mask));
        bool hasA = Has(da), hasB = Has(db);
        if (hasA)
            Require(da, n, nameof(da));
        if (hasB)
            Require(db, n, nameof(db));
        if (n == 0 || (!hasA && !hasB))
            return;
        (_whereBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int>(ElementwiseKernels.WhereBackward))(
            Config(n), mask, dy, OrDummy(da), OrDummy(db), n, hasA ? 1 : 0, hasB ? 1 : 0);
    }
}
