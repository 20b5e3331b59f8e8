using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;
using BinaryBroadcastLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>,
    ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, Amortized.Kernels.Gpu.BroadcastParams>;
using BinarySameLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    ILGPU.ArrayView<float>, int>;

namespace Amortized.Kernels.Gpu;

// Launchers of the broadcasting binary ops and their reverse (ElementwiseKernels.cs). The CPU twin is
// Amortized.Kernels.Cpu's BroadcastKernels.
public sealed partial class GpuKernels
{
    private readonly BinarySameLauncher?[] _binarySame = new BinarySameLauncher?[5];
    private readonly BinaryBroadcastLauncher?[] _binaryBroadcast = new BinaryBroadcastLauncher?[5];
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>,
        SumToShapeParams>? _sumToShapeThread, _sumToShapeGroup;

    private BinarySameLauncher BinarySameKernel(BinaryKind op) =>
        _binarySame[CheckBinary(op)] ??= op switch
        {
            BinaryKind.Add => LoadBinarySame<AddOp>(),
            BinaryKind.Sub => LoadBinarySame<SubOp>(),
            BinaryKind.Mul => LoadBinarySame<MulOp>(),
            BinaryKind.Div => LoadBinarySame<DivOp>(),
            _ => LoadBinarySame<PowOp>(),
        };

    private BinaryBroadcastLauncher BinaryBroadcastKernel(BinaryKind op) =>
        _binaryBroadcast[CheckBinary(op)] ??= op switch
        {
            BinaryKind.Add => LoadBinaryBroadcast<AddOp>(),
            BinaryKind.Sub => LoadBinaryBroadcast<SubOp>(),
            BinaryKind.Mul => LoadBinaryBroadcast<MulOp>(),
            BinaryKind.Div => LoadBinaryBroadcast<DivOp>(),
            _ => LoadBinaryBroadcast<PowOp>(),
        };

    private BinarySameLauncher LoadBinarySame<TOp>() where TOp : struct, IGpuBinaryOp =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            ElementwiseKernels.BinarySame<TOp>);

    private BinaryBroadcastLauncher LoadBinaryBroadcast<TOp>() where TOp : struct, IGpuBinaryOp =>
        Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastParams>(
            ElementwiseKernels.BinaryBroadcast<TOp>);

    private static int CheckBinary(BinaryKind op) =>
        (uint)op <= (uint)BinaryKind.Pow ? (int)op : throw new ArgumentOutOfRangeException(nameof(op), op, null);

    /// <summary>
    /// y = a op b with broadcasting. <paramref name="yDims"/>, <paramref name="aDims"/> and <paramref name="bDims"/>
    /// have the same rank (1..6, left-padded with 1s by the caller); aDims[i] and bDims[i] are yDims[i] or 1.
    /// </summary>
    public void Binary(BinaryKind op, ArrayView<float> a, ReadOnlySpan<int> aDims, ArrayView<float> b,
        ReadOnlySpan<int> bDims, ArrayView<float> y, ReadOnlySpan<int> yDims)
    {
        if (aDims.Length != yDims.Length || bDims.Length != yDims.Length)
            throw new ArgumentException(
                $"Binary: ranks differ (a {aDims.Length}, b {bDims.Length}, y {yDims.Length}).");
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
        var p = new BroadcastParams { Y = yd, AStrides = BroadcastStrides(ad, yd),
            BStrides = BroadcastStrides(bd, yd), N = (int)n };
        var broadcast = BinaryBroadcastKernel(op);
        if (n > 0)
            broadcast(Config(n), a, b, y, p);
    }

    /// <summary>
    /// Contiguous strides of <paramref name="source"/>, 0 along its size-1 axes; checks it broadcasts to target.
    /// </summary>
    private static Dims6 BroadcastStrides(Dims6 source, Dims6 target)
    {
        var strides = default(Dims6);
        int stride = 1;
        for (int i = 5; i >= 0; i--)
        {
            int s = source.Get(i);
            if (s != 1 && s != target.Get(i))
                throw new ArgumentException(
                    $"Dimension {s} does not broadcast to {target.Get(i)} (axis {i} of the rank-6 padding).");
            strides.Set(i, s == 1 ? 0 : stride);
            stride *= s;
        }
        return strides;
    }

    /// <summary>
    /// dst += scale * (src summed over the axes where dstDims[i] == 1 and srcDims[i] != 1); same rank (1..6).
    /// Deterministic: each dst element is summed in a fixed order by one thread (short sums) or one group.
    /// </summary>
    public void SumToShape(ArrayView<float> src, ReadOnlySpan<int> srcDims, ArrayView<float> dst,
        ReadOnlySpan<int> dstDims, float scale)
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
            (_sumToShapeGroup ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, SumToShapeParams>(
                ElementwiseKernels.SumToShapeGroup))(
                GroupPerOutput(p.Outputs), src, dst, p);
        }
        else
        {
            (_sumToShapeThread ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, SumToShapeParams>(
                ElementwiseKernels.SumToShapeThread))(
                Config(outputs), src, dst, p);
        }
    }
}
