using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

/// <summary>
/// The device kernels of the GPU backend, bound to one <see cref="ILGPU.Runtime.Accelerator"/>. Each kernel is
/// loaded (compiled) once, on first use, and its launcher cached; every launch is asynchronous on
/// <c>accelerator.DefaultStream</c> and the caller synchronizes. Launches use explicit grid and group sizes derived
/// from the device limits (auto-grouping would cost a query per launch).
/// </summary>
/// <remarks>
/// Every <see cref="ArrayView{T}"/> argument is already sliced to exactly the elements of its tensor. An "empty"
/// view (<c>default</c> or length 0) means the argument is absent. Calls allocate no device memory except the
/// split-K scratch buffer, which grows once to the largest size needed and is then reused.
/// Results are deterministic: sums are taken in a fixed order (never float atomics), so the same call on the same
/// device gives bitwise-identical results.
/// Not thread-safe: use one instance from one thread (as the device stream is).
/// </remarks>
public sealed partial class GpuKernels
{
    private const int MaxPartials = 1024;

    private readonly int _group;        // elementwise group size
    private readonly int _reduceGroup;  // power of two, <= ReduceKernels.MaxGroup
    private readonly int _maxGroups;    // grid-stride launches use at most this many groups
    private readonly bool _blockedGemm;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _dummy;     // bound to absent optional arguments
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _dummyInt;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _partials;  // SumOfSquares pass-1 results
    private MemoryBuffer1D<float, Stride1D.Dense>? _splitScratch;

    /// <summary>Binds the kernels to <paramref name="accelerator"/>; nothing is compiled until first use.</summary>
    /// <param name="accelerator">The device; its context must have ILGPU.Algorithms enabled (<c>EnableAlgorithms()</c>).</param>
    public GpuKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        int maxThreads = accelerator.MaxNumThreadsPerGroup;
        if (maxThreads < GemmKernels.SmallThreads)
            throw new NotSupportedException($"GpuKernels needs at least {GemmKernels.SmallThreads} threads per group; {accelerator.Name} allows {maxThreads}.");
        _group = Math.Min(256, maxThreads);
        _reduceGroup = 1;
        while (_reduceGroup * 2 <= Math.Min(ReduceKernels.MaxGroup, maxThreads))
            _reduceGroup *= 2;
        int perSm = Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / _group);
        _maxGroups = Math.Max(1, accelerator.NumMultiprocessors * perSm * 4);
        _blockedGemm = maxThreads >= GemmKernels.Threads;
        _dummy = accelerator.Allocate1D<float>(1);
        _dummyInt = accelerator.Allocate1D<int>(1);
        _partials = accelerator.Allocate1D<float>(MaxPartials);
    }

    /// <summary>The device these kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Whether GEMM uses the 64x64 register-blocked tiling (devices with &gt;= 256 threads per group).</summary>
    public bool UsesBlockedGemm => _blockedGemm;

    // ---------------------------------------------------------------------------------------------------------
    // Launch helpers
    // ---------------------------------------------------------------------------------------------------------

    private static bool Has<T>(ArrayView<T> v) where T : unmanaged => v.IsValid && v.Length > 0;

    private ArrayView<float> OrDummy(ArrayView<float> v) => Has(v) ? v : _dummy.View;

    private static int Count(ArrayView<float> v, string name)
    {
        if (!Has(v))
            return 0;
        if (v.Length > int.MaxValue)
            throw new ArgumentException($"{name} has {v.Length} elements; kernels index with int.", name);
        return (int)v.Length;
    }

    private static void Require(ArrayView<float> v, long needed, string name)
    {
        long have = Has(v) ? v.Length : 0;
        if (have < needed)
            throw new ArgumentException($"{name} has {have} elements but {needed} are needed.", name);
    }

    /// <summary>Grid-stride configuration: enough groups to cover n, capped at a few waves of the device.</summary>
    private KernelConfig Config(long n)
    {
        long groups = (n + _group - 1) / _group;
        int g = (int)Math.Clamp(groups, 1, _maxGroups);
        return new KernelConfig(new Index1D(g), new Index1D(_group));
    }

    /// <summary>One group per output, capped at a few waves (groups loop over outputs).</summary>
    private KernelConfig GroupPerOutput(int outputs) =>
        new(new Index1D(Math.Clamp(outputs, 1, _maxGroups)), new Index1D(_reduceGroup));

    /// <summary>Group-per-output pays off when rows are long and there are too few of them to fill the device.</summary>
    private static bool UseGroupReduction(long outputs, long length) =>
        length > 256 || (length >= 32 && outputs < 1024);

    // ---------------------------------------------------------------------------------------------------------
    // Cached launchers. Fields are filled on first use: compiling is slow (100s of ms), launching is not.
    // ---------------------------------------------------------------------------------------------------------

    private Action<KernelConfig, ArrayView<float>, int, float>? _fill;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _copy;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float>? _addScaled;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float, float>?[] _unary = new Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float, float>?[10];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float>?[] _unaryBackward = new Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float>?[10];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>?[] _activate = new Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>?[9];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>?[] _activateBackward = new Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>?[9];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>?[] _binarySame = new Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>?[5];
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>?[] _binaryBroadcast = new Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>?[5];
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, SumToShapeParams>? _sumToShapeThread, _sumToShapeGroup;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>? _gemmBlocked;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>? _gemmSmall;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>? _gemmSplitReduce;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ReduceParams>? _reduceThread, _reduceGroupKernel, _softmax;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ReduceParams>? _reduceBackwardElementwise, _reduceBackwardMax;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ReduceParams>? _softmaxBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, PermuteParams>? _permute;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, SliceParams>? _copySlice;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, GatherParams>? _gather, _gatherBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _where;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _whereBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>? _layerNorm, _layerNormBackwardRows, _layerNormBackwardColumns;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamParams>? _adam;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _sumSquaresPartial, _sumFinal;

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float, float> UnaryKernel(UnaryKind op) =>
        _unary[(int)op] ??= op switch
        {
            UnaryKind.Neg => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<NegOp>),
            UnaryKind.Exp => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<ExpOp>),
            UnaryKind.Log => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<LogOp>),
            UnaryKind.Sqrt => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<SqrtOp>),
            UnaryKind.Abs => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<AbsOp>),
            UnaryKind.AddScalar => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<AddScalarOp>),
            UnaryKind.MulScalar => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<MulScalarOp>),
            UnaryKind.PowScalar => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<PowScalarOp>),
            UnaryKind.Clamp => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<ClampOp>),
            UnaryKind.Asinh => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.Unary<AsinhOp>),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float> UnaryBackwardKernel(UnaryKind op) =>
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

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float> LoadUnaryBackward<TOp>()
        where TOp : struct, IUnaryKind =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float>(ElementwiseKernels.UnaryBackward<TOp>);

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

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int> LoadActivate<TAct>() where TAct : struct, IGpuActivation =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Activate<TAct>);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> ActivateBackwardKernel(Activation kind) =>
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

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> LoadActivateBackward<TAct>() where TAct : struct, IGpuActivation =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ElementwiseKernels.ActivateBackward<TAct>);

    private static int CheckActivation(Activation kind) =>
        (uint)kind <= (uint)Activation.Mish ? (int)kind : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> BinarySameKernel(BinaryKind op) =>
        _binarySame[CheckBinary(op)] ??= op switch
        {
            BinaryKind.Add => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.BinarySame<AddOp>),
            BinaryKind.Sub => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.BinarySame<SubOp>),
            BinaryKind.Mul => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.BinarySame<MulOp>),
            BinaryKind.Div => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.BinarySame<DivOp>),
            _ => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.BinarySame<PowOp>),
        };

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams> BinaryBroadcastKernel(BinaryKind op) =>
        _binaryBroadcast[CheckBinary(op)] ??= op switch
        {
            BinaryKind.Add => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>(ElementwiseKernels.BinaryBroadcast<AddOp>),
            BinaryKind.Sub => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>(ElementwiseKernels.BinaryBroadcast<SubOp>),
            BinaryKind.Mul => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>(ElementwiseKernels.BinaryBroadcast<MulOp>),
            BinaryKind.Div => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>(ElementwiseKernels.BinaryBroadcast<DivOp>),
            _ => Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>(ElementwiseKernels.BinaryBroadcast<PowOp>),
        };

    private static int CheckBinary(BinaryKind op) =>
        (uint)op <= (uint)BinaryKind.Pow ? (int)op : throw new ArgumentOutOfRangeException(nameof(op), op, null);

    // ---------------------------------------------------------------------------------------------------------
    // Elementwise
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>y[i] = value for every element of y.</summary>
    public void Fill(ArrayView<float> y, float value)
    {
        int n = Count(y, nameof(y));
        if (n == 0)
            return;
        (_fill ??= Accelerator.LoadStreamKernel<ArrayView<float>, int, float>(ElementwiseKernels.Fill))(Config(n), y, n, value);
    }

    /// <summary>dst = src; both (N), not overlapping.</summary>
    public void Copy(ArrayView<float> src, ArrayView<float> dst)
    {
        int n = Count(dst, nameof(dst));
        Require(src, n, nameof(src));
        if (n == 0)
            return;
        (_copy ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Copy))(Config(n), src, dst, n);
    }

    /// <summary>dst += scale * src; both (N).</summary>
    public void AddScaled(ArrayView<float> src, ArrayView<float> dst, float scale)
    {
        int n = Count(dst, nameof(dst));
        Require(src, n, nameof(src));
        if (n == 0)
            return;
        (_addScaled ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float>(ElementwiseKernels.AddScaled))(Config(n), src, dst, n, scale);
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
    public void UnaryBackward(UnaryKind op, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, float p0, float p1)
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

    /// <summary>dx = dy * f'(x), or dx += when <paramref name="accumulate"/>; x is the pre-activation input; all (N).</summary>
    public void ActivateBackward(Activation kind, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, bool accumulate)
    {
        int n = Count(dx, nameof(dx));
        Require(x, n, nameof(x));
        Require(dy, n, nameof(dy));
        var kernel = ActivateBackwardKernel(kind);
        if (n > 0)
            kernel(Config(n), x, dy, dx, n, accumulate ? 1 : 0);
    }

    /// <summary>
    /// y = a op b with broadcasting. <paramref name="yDims"/>, <paramref name="aDims"/> and <paramref name="bDims"/>
    /// have the same rank (1..6, left-padded with 1s by the caller); aDims[i] and bDims[i] are yDims[i] or 1.
    /// </summary>
    public void Binary(BinaryKind op, ArrayView<float> a, ReadOnlySpan<int> aDims, ArrayView<float> b, ReadOnlySpan<int> bDims, ArrayView<float> y, ReadOnlySpan<int> yDims)
    {
        if (aDims.Length != yDims.Length || bDims.Length != yDims.Length)
            throw new ArgumentException($"Binary: ranks differ (a {aDims.Length}, b {bDims.Length}, y {yDims.Length}).");
        Dims6 yd = Dims6.FromSpan(yDims, 1), ad = Dims6.FromSpan(aDims, 1), bd = Dims6.FromSpan(bDims, 1);
        long n = yd.Product();
        Require(y, n, nameof(y));
        Require(a, ad.Product(), nameof(a));
        Require(b, bd.Product(), nameof(b));
        bool same = aDims.SequenceEqual(yDims) && bDims.SequenceEqual(yDims);
        if (same)
        {
            var kernel = BinarySameKernel(op);
            if (n > 0)
                kernel(Config(n), a, b, y, (int)n);
            return;
        }
        var p = new BroadcastParams { Y = yd, AStrides = BroadcastStrides(ad, yd), BStrides = BroadcastStrides(bd, yd), N = (int)n };
        var broadcast = BinaryBroadcastKernel(op);
        if (n > 0)
            broadcast(Config(n), a, b, y, p);
    }

    /// <summary>Contiguous strides of <paramref name="source"/>, 0 along its size-1 axes; checks it broadcasts to target.</summary>
    private static Dims6 BroadcastStrides(Dims6 source, Dims6 target)
    {
        var strides = default(Dims6);
        int stride = 1;
        for (int i = 5; i >= 0; i--)
        {
            int s = source.Get(i);
            if (s != 1 && s != target.Get(i))
                throw new ArgumentException($"Dimension {s} does not broadcast to {target.Get(i)} (axis {i} of the rank-6 padding).");
            strides.Set(i, s == 1 ? 0 : stride);
            stride *= s;
        }
        return strides;
    }

    /// <summary>
    /// dst += scale * (src summed over the axes where dstDims[i] == 1 and srcDims[i] != 1); same rank (1..6).
    /// Deterministic: each dst element is summed in a fixed order by one thread (short sums) or one group.
    /// </summary>
    public void SumToShape(ArrayView<float> src, ReadOnlySpan<int> srcDims, ArrayView<float> dst, ReadOnlySpan<int> dstDims, float scale)
    {
        if (srcDims.Length != dstDims.Length)
            throw new ArgumentException($"SumToShape: ranks differ (src {srcDims.Length}, dst {dstDims.Length}).");
        Dims6 sd = Dims6.FromSpan(srcDims, 1), dd = Dims6.FromSpan(dstDims, 1);
        var keep = default(Dims6);
        var red = default(Dims6);
        var redStrides = default(Dims6);
        int stride = 1;
        for (int i = 5; i >= 0; i--)
        {
            int s = sd.Get(i), d = dd.Get(i);
            bool reduced = d == 1 && s != 1;
            if (!reduced && d != s)
                throw new ArgumentException($"SumToShape: dst dimension {d} must be 1 or the src dimension {s}.");
            keep.Set(i, reduced ? 0 : stride);
            red.Set(i, reduced ? s : 1);
            redStrides.Set(i, reduced ? stride : 0);
            stride *= s;
        }
        long outputs = dd.Product(), total = sd.Product();
        Require(dst, outputs, nameof(dst));
        Require(src, total, nameof(src));
        if (outputs == 0)
            return;
        var p = new SumToShapeParams
        {
            Dst = dd, KeepStrides = keep, Red = red, RedStrides = redStrides,
            Outputs = (int)outputs, Count = (int)(total / outputs), Scale = scale,
        };
        if (UseGroupReduction(outputs, p.Count))
        {
            (_sumToShapeGroup ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, SumToShapeParams>(ElementwiseKernels.SumToShapeGroup))(
                GroupPerOutput(p.Outputs), src, dst, p);
        }
        else
        {
            (_sumToShapeThread ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, SumToShapeParams>(ElementwiseKernels.SumToShapeThread))(
                Config(outputs), src, dst, p);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // GEMM
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// C = activation(alpha op(A) op(B) + beta C + bias), row-major, the semantics of
    /// <see cref="Amortized.Kernels.Cpu.Gemm.Multiply(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, ReadOnlySpan{float}, Activation, Span{float})"/>.
    /// </summary>
    /// <remarks>
    /// op(A) is (M, K): A is stored (M, K) with row stride lda, or (K, M) when transposed. op(B) is (K, N): B is
    /// stored (K, N) with ldb, or (N, K) when transposed. C is (M, N) with row stride ldc. beta = 0 means C is not
    /// read (NaN in C does not propagate); alpha = 0 or k = 0 means A and B are not read. bias is (N) or empty;
    /// pre (same layout as C, stride ldc) receives the value before the activation, or is empty.
    /// </remarks>
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, ArrayView<float> a, int lda, ArrayView<float> b, int ldb,
        float beta, ArrayView<float> c, int ldc, ArrayView<float> bias, Activation activation, ArrayView<float> pre)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: dimensions must be non-negative, got m={m}, n={n}, k={k}.");
        CheckActivation(activation);
        if (m == 0 || n == 0)
            return;
        bool readsAB = k > 0 && alpha != 0f;
        if (readsAB)
        {
            CheckOperand(a, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, nameof(a));
            CheckOperand(b, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb, nameof(b));
        }
        CheckOperand(c, m, n, ldc, nameof(c));
        bool hasBias = Has(bias), hasPre = Has(pre);
        if (hasBias)
            Require(bias, n, nameof(bias));
        if (hasPre)
            CheckOperand(pre, m, n, ldc, nameof(pre));

        var p = new GemmParams
        {
            M = m, N = n, K = readsAB ? k : 0, Lda = lda, Ldb = ldb, Ldc = ldc,
            TransA = transA == Transpose.No ? 0 : 1, TransB = transB == Transpose.No ? 0 : 1,
            HasBias = hasBias ? 1 : 0, HasPre = hasPre ? 1 : 0, Activation = (int)activation,
            Alpha = alpha, Beta = beta, Splits = 1,
        };
        ArrayView<float> av = readsAB ? a : _dummy.View, bv = readsAB ? b : _dummy.View;
        ArrayView<float> biasView = OrDummy(bias), preView = OrDummy(pre);

        if (!_blockedGemm)
        {
            p.BlocksN = (n + GemmKernels.SmallTile - 1) / GemmKernels.SmallTile;
            int blocks = checked(((m + GemmKernels.SmallTile - 1) / GemmKernels.SmallTile) * p.BlocksN);
            p.KChunk = p.K;
            (_gemmSmall ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(GemmKernels.Small))(
                new KernelConfig(new Index1D(blocks), new Index1D(GemmKernels.SmallThreads)), av, bv, c, biasView, preView, p);
            return;
        }

        p.BlocksN = (n + GemmKernels.BN - 1) / GemmKernels.BN;
        int tiles = checked(((m + GemmKernels.BM - 1) / GemmKernels.BM) * p.BlocksN);
        int splits = SplitCount(tiles, p.K, Accelerator.NumMultiprocessors);
        p.Splits = splits;
        p.KChunk = splits == 1 ? p.K : RoundUp((p.K + splits - 1) / splits, GemmKernels.BK);
        ArrayView<float> scratch = _dummy.View;
        if (splits > 1)
        {
            long needed = (long)splits * m * n;
            if (_splitScratch is null || _splitScratch.Length < needed)
            {
                _splitScratch?.Dispose();
                _splitScratch = Accelerator.Allocate1D<float>(needed);
            }
            scratch = _splitScratch.View.SubView(0, needed);
        }
        (_gemmBlocked ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(GemmKernels.Blocked))(
            new KernelConfig(new Index1D(checked(tiles * splits)), new Index1D(GemmKernels.Threads)), av, bv, c, biasView, preView, scratch, p);
        if (splits > 1)
        {
            (_gemmSplitReduce ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(GemmKernels.SplitKReduce))(
                Config((long)m * n), scratch, c, biasView, preView, p);
        }
    }

    /// <summary>
    /// Number of K slices for the blocked GEMM: 1 unless the output has too few tiles to occupy the device and K is
    /// long (the weight gradient (128 x 4096)(4096 x 128) has 4 tiles; W2's (64 x 409600)(409600 x 64) at 4096 sets
    /// has 1). Enough slices for about 4 resident 256-thread groups per multiprocessor, each slice keeping at least
    /// 256 of K. (With at most 64 slices, W2's one-tile weight gradients used 64 of an H200's 132 multiprocessors
    /// for K = 409600.) A pure function of the shape and the device, so a given call always partitions K the same
    /// way (deterministic).
    /// </summary>
    internal static int SplitCount(int tiles, int k, int multiprocessors)
    {
        if (tiles >= multiprocessors || k < 512)
            return 1;
        int bySize = k / 256;
        int byOccupancy = Math.Max(1, 4 * multiprocessors / tiles);
        return Math.Clamp(Math.Min(bySize, byOccupancy), 1, 1024);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void CheckOperand(ArrayView<float> v, int rows, int cols, int ld, string name)
    {
        if (ld < cols)
            throw new ArgumentException($"Gemm: {name} is stored ({rows}, {cols}) but its leading dimension {ld} is less than {cols}.", name);
        long required = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        Require(v, required, name);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reductions and softmax: x viewed as (outer, length, inner), y as (outer, inner)
    // ---------------------------------------------------------------------------------------------------------

    private static ReduceParams ReduceShape(ReduceKind op, int outer, int length, int inner, float scale, bool accumulate)
    {
        if (outer < 0 || length < 0 || inner < 0)
            throw new ArgumentException($"Reduce: negative shape ({outer}, {length}, {inner}).");
        if ((uint)op > (uint)ReduceKind.LogSumExp)
            throw new ArgumentOutOfRangeException(nameof(op), op, null);
        return new ReduceParams { Outer = outer, Length = length, Inner = inner, Op = (int)op, Scale = scale, Accumulate = accumulate ? 1 : 0 };
    }

    /// <summary>
    /// y[o, i] = reduce over k of x[o, k, i]: Sum gives scale * sum; Max (-inf for length 0); LogSumExp is
    /// max + log sum exp(x - max), -inf when the max is -inf. <paramref name="scale"/> is used by Sum only.
    /// </summary>
    public void Reduce(ReduceKind op, ArrayView<float> x, ArrayView<float> y, int outer, int length, int inner, float scale)
    {
        var p = ReduceShape(op, outer, length, inner, scale, false);
        long outputs = (long)outer * inner;
        Require(y, outputs, nameof(y));
        Require(x, outputs * length, nameof(x));
        if (outputs == 0)
            return;
        if (length > 0 && UseGroupReduction(outputs, length))
        {
            (_reduceGroupKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.ReduceGroup))(
                GroupPerOutput((int)outputs), x, y, p);
        }
        else
        {
            (_reduceThread ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.ReduceThread))(
                Config(outputs), OrDummy(x), y, p);
        }
    }

    /// <summary>
    /// dx (+)= d reduce / dx * dy: Sum gives scale * dy to every element; Max gives dy to the first element equal to
    /// y (others 0); LogSumExp gives dy * exp(x - y). Without <paramref name="accumulate"/>, dx is overwritten.
    /// </summary>
    public void ReduceBackward(ReduceKind op, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int outer, int length, int inner, float scale, bool accumulate)
    {
        var p = ReduceShape(op, outer, length, inner, scale, accumulate);
        long outputs = (long)outer * inner, n = outputs * length;
        Require(dx, n, nameof(dx));
        Require(dy, outputs, nameof(dy));
        if (op != ReduceKind.Sum)
        {
            Require(x, n, nameof(x));
            Require(y, outputs, nameof(y));
        }
        if (n == 0)
            return;
        ArrayView<float> xv = OrDummy(x), yv = OrDummy(y);
        if (op == ReduceKind.Max)
        {
            (_reduceBackwardMax ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.ReduceBackwardMax))(
                Config(outputs), xv, yv, dy, dx, p);
        }
        else
        {
            (_reduceBackwardElementwise ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.ReduceBackwardElementwise))(
                Config(n), xv, yv, dy, dx, p);
        }
    }

    /// <summary>y = softmax of x along the middle axis of (outer, length, inner), max-subtracted.</summary>
    public void Softmax(ArrayView<float> x, ArrayView<float> y, int outer, int length, int inner)
    {
        var p = ReduceShape(ReduceKind.Sum, outer, length, inner, 1f, false);
        long outputs = (long)outer * inner;
        Require(x, outputs * length, nameof(x));
        Require(y, outputs * length, nameof(y));
        if (outputs * length == 0)
            return;
        (_softmax ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.Softmax))(Config(outputs), x, y, p);
    }

    /// <summary>dx += y * (dy - sum_k dy_k y_k) along the middle axis of (outer, length, inner).</summary>
    public void SoftmaxBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int outer, int length, int inner)
    {
        var p = ReduceShape(ReduceKind.Sum, outer, length, inner, 1f, true);
        long outputs = (long)outer * inner, n = outputs * length;
        Require(y, n, nameof(y));
        Require(dy, n, nameof(dy));
        Require(dx, n, nameof(dx));
        if (n == 0)
            return;
        (_softmaxBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.SoftmaxBackward))(Config(outputs), y, dy, dx, p);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Layout
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>y (+)= x with axes permuted: y's axis k is x's axis permutation[k]; rank &lt;= 6.</summary>
    public void Permute(ArrayView<float> x, ReadOnlySpan<int> xDims, ReadOnlySpan<int> permutation, ArrayView<float> y, bool accumulate)
    {
        int rank = xDims.Length;
        if (permutation.Length != rank)
            throw new ArgumentException($"Permute: permutation has {permutation.Length} axes, x has {rank}.", nameof(permutation));
        Dims6 xd = Dims6.FromSpan(xDims, 1);
        int lead = 6 - rank;
        var xStrides = default(Dims6);
        int stride = 1;
        for (int i = 5; i >= 0; i--)
        {
            xStrides.Set(i, stride);
            stride *= xd.Get(i);
        }
        var yd = new Dims6 { D0 = 1, D1 = 1, D2 = 1, D3 = 1, D4 = 1, D5 = 1 };
        var steps = default(Dims6);
        int seen = 0;
        for (int k = 0; k < rank; k++)
        {
            int axis = permutation[k];
            if ((uint)axis >= (uint)rank || (seen & (1 << axis)) != 0)
                throw new ArgumentException($"Permute: invalid permutation (axis {axis}).", nameof(permutation));
            seen |= 1 << axis;
            yd.Set(lead + k, xd.Get(lead + axis));
            steps.Set(lead + k, xStrides.Get(lead + axis));
        }
        long n = xd.Product();
        Require(x, n, nameof(x));
        Require(y, n, nameof(y));
        if (n == 0)
            return;
        var p = new PermuteParams { Y = yd, Steps = steps, N = (int)n, Accumulate = accumulate ? 1 : 0 };
        (_permute ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, PermuteParams>(ElementwiseKernels.Permute))(Config(n), x, y, p);
    }

    /// <summary>
    /// src viewed (outer, srcAxis, inner), dst (outer, dstAxis, inner):
    /// dst[o, dstStart + j, i] (+)= src[o, srcStart + j, i] for j &lt; length.
    /// </summary>
    public void CopySlice(ArrayView<float> src, ArrayView<float> dst, int outer, int srcAxis, int dstAxis, int inner, int srcStart, int dstStart, int length, bool accumulate)
    {
        if (outer < 0 || inner < 0 || length < 0 || srcStart < 0 || dstStart < 0 || srcStart + length > srcAxis || dstStart + length > dstAxis)
            throw new ArgumentException($"CopySlice: slice [{srcStart}, +{length}) of {srcAxis} into [{dstStart}, +{length}) of {dstAxis} is out of range.");
        Require(src, (long)outer * srcAxis * inner, nameof(src));
        Require(dst, (long)outer * dstAxis * inner, nameof(dst));
        long n = (long)outer * length * inner;
        if (n == 0)
            return;
        var p = new SliceParams
        {
            Outer = outer, SrcAxis = srcAxis, DstAxis = dstAxis, Inner = inner,
            SrcStart = srcStart, DstStart = dstStart, Length = length, Accumulate = accumulate ? 1 : 0,
        };
        (_copySlice ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, SliceParams>(ElementwiseKernels.CopySlice))(Config(n), src, dst, p);
    }

    /// <summary>x (outer, axisLen, inner) to y (outer, count, inner): y[o, j, i] = x[o, indices[j], i].</summary>
    public void Gather(ArrayView<float> x, ArrayView<int> indices, ArrayView<float> y, int outer, int axisLen, int inner, int count)
    {
        Require(x, (long)outer * axisLen * inner, nameof(x));
        long n = (long)outer * count * inner;
        Require(y, n, nameof(y));
        if (n == 0)
            return;
        if (!Has(indices) || indices.Length < count)
            throw new ArgumentException($"Gather: indices must have {count} elements.", nameof(indices));
        var p = new GatherParams { Outer = outer, AxisLen = axisLen, Inner = inner, Count = count };
        (_gather ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, GatherParams>(ElementwiseKernels.Gather))(Config(n), x, indices, y, p);
    }

    /// <summary>
    /// dx[o, indices[j], i] += dy[o, j, i]; repeated indices accumulate. Deterministic: each dx element loops over j
    /// in order (no float atomics).
    /// </summary>
    public void GatherBackward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int outer, int axisLen, int inner, int count)
    {
        long n = (long)outer * axisLen * inner;
        Require(dx, n, nameof(dx));
        Require(dy, (long)outer * count * inner, nameof(dy));
        if (n == 0 || count == 0)
            return;
        if (!Has(indices) || indices.Length < count)
            throw new ArgumentException($"GatherBackward: indices must have {count} elements.", nameof(indices));
        var p = new GatherParams { Outer = outer, AxisLen = axisLen, Inner = inner, Count = count };
        (_gatherBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, GatherParams>(ElementwiseKernels.GatherBackward))(Config(n), dy, indices, dx, p);
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
        (_where ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Where))(Config(n), mask, a, b, y, n);
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
        (_whereBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ElementwiseKernels.WhereBackward))(
            Config(n), mask, dy, OrDummy(da), OrDummy(db), n, hasA ? 1 : 0, hasB ? 1 : 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Layer norm, optimizer, norms
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Layer norm of x (rows, cols) over cols: y = (x - mean) * rstd * gamma + beta with rstd = 1/sqrt(var + eps)
    /// (biased variance). gamma and beta are (cols) or empty; mean and rstd (rows) are written for the backward pass.
    /// </summary>
    public void LayerNorm(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, float epsilon, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> rstd, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"LayerNorm: negative shape ({rows}, {cols}).");
        if (rows == 0 || cols == 0)
            return;
        long n = (long)rows * cols;
        Require(x, n, nameof(x));
        Require(y, n, nameof(y));
        Require(mean, rows, nameof(mean));
        Require(rstd, rows, nameof(rstd));
        bool hasGamma = Has(gamma), hasBeta = Has(beta);
        if (hasGamma)
            Require(gamma, cols, nameof(gamma));
        if (hasBeta)
            Require(beta, cols, nameof(beta));
        var p = new LayerNormParams { Rows = rows, Cols = cols, Epsilon = epsilon, HasGamma = hasGamma ? 1 : 0, HasBeta = hasBeta ? 1 : 0 };
        (_layerNorm ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>(ReduceKernels.LayerNorm))(
            Config(rows), x, OrDummy(gamma), OrDummy(beta), y, mean, rstd, p);
    }

    /// <summary>
    /// Layer norm backward, accumulating: dx += rstd (dnorm - mean(dnorm) - xhat mean(dnorm xhat)) with
    /// dnorm = dy * gamma; dGamma += sum over rows of dy * xhat; dBeta += sum over rows of dy. Any of dx, dGamma,
    /// dBeta may be empty (not computed); gamma empty means 1.
    /// </summary>
    public void LayerNormBackward(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dy, ArrayView<float> dx, ArrayView<float> dGamma, ArrayView<float> dBeta, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"LayerNormBackward: negative shape ({rows}, {cols}).");
        if (rows == 0 || cols == 0)
            return;
        long n = (long)rows * cols;
        Require(x, n, nameof(x));
        Require(dy, n, nameof(dy));
        Require(mean, rows, nameof(mean));
        Require(rstd, rows, nameof(rstd));
        bool hasGamma = Has(gamma), hasDx = Has(dx), hasDGamma = Has(dGamma), hasDBeta = Has(dBeta);
        if (hasGamma)
            Require(gamma, cols, nameof(gamma));
        if (hasDx)
            Require(dx, n, nameof(dx));
        if (hasDGamma)
            Require(dGamma, cols, nameof(dGamma));
        if (hasDBeta)
            Require(dBeta, cols, nameof(dBeta));
        var p = new LayerNormParams
        {
            Rows = rows, Cols = cols, HasGamma = hasGamma ? 1 : 0,
            HasDx = hasDx ? 1 : 0, HasDGamma = hasDGamma ? 1 : 0, HasDBeta = hasDBeta ? 1 : 0,
        };
        if (hasDx)
        {
            (_layerNormBackwardRows ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>(ReduceKernels.LayerNormBackwardRows))(
                Config(rows), x, OrDummy(gamma), mean, rstd, dy, dx, p);
        }
        if (hasDGamma || hasDBeta)
        {
            (_layerNormBackwardColumns ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>(ReduceKernels.LayerNormBackwardColumns))(
                Config(cols), x, mean, rstd, dy, OrDummy(dGamma), OrDummy(dBeta), p);
        }
    }

    /// <summary>
    /// One Adam/AdamW step over all parameters, the formula of Amortized.Networks.Optim.Adam: g' = g * gradScale;
    /// m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p = p * decay - stepSize * m / (sqrt(v) * invSqrtBc2 + eps).
    /// p, g, m, v are (N); p, m, v are updated in place.
    /// </summary>
    public void Adam(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, float gradScale, float b1, float b2, float stepSize, float invSqrtBc2, float eps, float decay)
    {
        int n = Count(p, nameof(p));
        Require(g, n, nameof(g));
        Require(m, n, nameof(m));
        Require(v, n, nameof(v));
        if (n == 0)
            return;
        var a = new AdamParams { N = n, GradScale = gradScale, B1 = b1, B2 = b2, StepSize = stepSize, InvSqrtBc2 = invSqrtBc2, Eps = eps, Decay = decay };
        (_adam ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamParams>(ElementwiseKernels.Adam))(Config(n), p, g, m, v, a);
    }

    /// <summary>
    /// result[0] = sum of x[i]^2 (result is a 1-element device view), for the global gradient norm. Two passes with
    /// a grid fixed by n (group partials, then one group over the partials), so it is deterministic.
    /// </summary>
    public void SumOfSquares(ArrayView<float> x, ArrayView<float> result)
    {
        Require(result, 1, nameof(result));
        int n = Count(x, nameof(x));
        if (n == 0)
        {
            Fill(result.SubView(0, 1), 0f);
            return;
        }
        int groups = (int)Math.Clamp((n + (long)_reduceGroup - 1) / _reduceGroup, 1, Math.Min(MaxPartials, _maxGroups));
        (_sumSquaresPartial ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ReduceKernels.SumOfSquaresPartial))(
            new KernelConfig(new Index1D(groups), new Index1D(_reduceGroup)), x, _partials.View, n);
        (_sumFinal ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ReduceKernels.SumFinal))(
            new KernelConfig(new Index1D(1), new Index1D(_reduceGroup)), _partials.View, result, groups);
    }
}
