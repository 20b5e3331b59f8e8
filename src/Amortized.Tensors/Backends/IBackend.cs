using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Backends;

/// <summary>
/// The compute contract behind every tensor op: coarse operations on whole tensors, so that a backend can
/// launch one kernel per call. Ops validate shapes before calling; a backend may assume them consistent.
/// Methods named *Backward accumulate into their gradient outputs unless they take an overwrite flag.
/// </summary>
public interface IBackend
{
    /// <summary>The device whose memory this backend computes on.</summary>
    Device Device { get; }

    /// <summary>
    /// A zero-filled tensor in this backend's memory outside any workspace (parameters, optimizer state, results).
    /// </summary>
    Tensor Allocate(Shape shape);

    /// <summary>A raw block of <paramref name="floats"/> floats for a workspace arena (accelerators only).</summary>
    DeviceBuffer AllocateBuffer(int floats);

    /// <summary>Copies host values into <paramref name="destination"/> (same element count).</summary>
    void Upload(ReadOnlySpan<float> source, Tensor destination);

    /// <summary>Copies <paramref name="source"/>'s elements to host memory (waits for pending work).</summary>
    void Download(Tensor source, Span<float> destination);

    /// <summary>y = value everywhere.</summary>
    void Fill(Tensor y, float value);

    /// <summary>dst = src (same element count).</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>Sum of squares of all elements, accumulated so the result is independent of thread counts.</summary>
    double SumOfSquares(Tensor x);

    /// <summary>
    /// One Adam/AdamW update over flat parameter, gradient and moment tensors of one size:
    /// g' = g gradScale; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p = p decay - stepSize m /
    /// (sqrt(v) invSqrtBc2 + eps).
    /// </summary>
    void AdamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float gradScale, float b1, float b2, float stepSize,
        float invSqrtBc2, float eps, float decay);

    /// <summary>y = op(x).</summary>
    void Unary(UnaryKind op, Tensor x, Tensor y, float p0, float p1);

    /// <summary>dx += dy * op'(x); y = op(x) is passed for ops whose derivative is cheapest from it.</summary>
    void UnaryBackward(UnaryKind op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0, float p1);

    /// <summary>y = f(x) for an activation f.</summary>
    void Activate(Activation kind, Tensor x, Tensor y);

    /// <summary>dx += dy * f'(x), or dx = dy * f'(x) when <paramref name="accumulate"/> is false.</summary>
    void ActivateBackward(Activation kind, Tensor x, Tensor dy, Tensor dx, bool accumulate = true);

    /// <summary>y = a op b with broadcasting; y has the broadcast shape.</summary>
    void Binary(BinaryKind op, Tensor a, Tensor b, Tensor y);

    /// <summary>dst += scale * src summed over the axes along which dst was broadcast to src's shape.</summary>
    void SumToShape(Tensor src, Tensor dst, float scale);

    /// <summary>C = act(alpha op(A) op(B) + beta C + bias) over row-major matrices at element offsets.</summary>
    void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc,
        Tensor? bias = null, Activation activation = Activation.Identity, Tensor? preActivation = null);

    /// <summary>y = reduce(x) along axis (y holds x's shape with that axis removed or of size 1).</summary>
    void Reduce(ReduceKind kind, Tensor x, int axis, Tensor y, float scale);

    /// <summary>
    /// dx += d reduce / dx * dy; with <paramref name="accumulate"/> false, dx = d reduce / dx * dy (dx's old
    /// contents are ignored).
    /// </summary>
    void ReduceBackward(ReduceKind kind, Tensor x, Tensor y, Tensor dy, int axis, Tensor dx,
        float scale, bool accumulate = true);

    /// <summary>y = softmax(x) along axis.</summary>
    void Softmax(Tensor x, int axis, Tensor y);

    /// <summary>dx += y * (dy - sum(dy * y)) along axis.</summary>
    void SoftmaxBackward(Tensor y, Tensor dy, int axis, Tensor dx);

    /// <summary>
    /// y = x with its axes permuted (y[..., i_perm[k], ...] = x[...]); accumulate adds instead of writing.
    /// </summary>
    void Permute(Tensor x, ReadOnlySpan<int> permutation, Tensor y, bool accumulate);

    /// <summary>
    /// Copies (or adds) src[.., srcStart:srcStart+length, ..] into dst[.., dstStart:dstStart+length, ..] along axis.
    /// </summary>
    void CopySlice(Tensor src, int axis, int srcStart, Tensor dst, int dstStart, int length, bool accumulate);

    /// <summary>y = x indexed by <paramref name="indices"/> along axis.</summary>
    void Gather(Tensor x, int axis, ReadOnlySpan<int> indices, Tensor y);

    /// <summary>dx[indices along axis] += dy (repeated indices accumulate).</summary>
    void GatherBackward(Tensor dy, int axis, ReadOnlySpan<int> indices, Tensor dx);

    /// <summary>y = mask != 0 ? a : b (same shapes).</summary>
    void Where(Tensor mask, Tensor a, Tensor b, Tensor y);

    /// <summary>da += dy where mask, db += dy elsewhere.</summary>
    void WhereBackward(Tensor mask, Tensor dy, Tensor? da, Tensor? db);

    /// <summary>Layer normalisation over the last axis; writes per-row mean and 1/std for backward.</summary>
    void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float epsilon, Tensor y, Tensor mean, Tensor rstd);

    /// <summary>Accumulates dx, dgamma, dbeta of <see cref="LayerNorm"/>.</summary>
    void LayerNormBackward(Tensor x, Tensor? gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor? dx,
        Tensor? dGamma, Tensor? dBeta);

    /// <summary>dst += scale * src (same element count).</summary>
    void AddScaled(Tensor src, Tensor dst, float scale);

    /// <summary>
    /// Fused affine coupling, one pass per row b of x (B, D) with parameters (B, 2D) holding [a | t]:
    /// forward y = x exp(logS(a)) + t and logDet[b] = sum_j logS(a_bj); inverse y = (x - t) exp(-logS(a)) and
    /// logDet[b] = -sum_j logS(a_bj). y is (B, D), logDet (B); logS is given by <paramref name="kind"/>.
    /// </summary>
    void AffineCoupling(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse, Tensor y, Tensor logDet);

    /// <summary>
    /// Gradients of <see cref="AffineCoupling"/> from dy (B, D) and dLogDet (B), either of which may be null (a zero
    /// gradient); logS is recomputed from parameters, nothing of the forward pass is stored. dx (B, D) and
    /// dParameters (B, 2D) may each be null (not wanted); each is overwritten when its flag is set (its old
    /// contents are ignored), else accumulated into.
    /// </summary>
    void AffineCouplingBackward(Tensor x, Tensor parameters, AffineScaleKind kind,
        bool inverse, Tensor? dy, Tensor? dLogDet,
        Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite);

    /// <summary>
    /// Fused rational-quadratic spline coupling (Durkan et al. 2019) with identity tails, one element (b, j) at a time:
    /// x (B, D), parameters (B, D * P) with P = 3K - 1 per feature holding K width logits, K height logits and K - 1
    /// interior derivative pre-activations. Where |x| &lt;= Bound, y = spline(x) (inverse: spline^-1(x)), else y = x;
    /// logDet[b] = +-sum_j log f'(x_bj) over the inside elements (minus for the inverse, f' taken at the output).
    /// y is (B, D), logDet (B).
    /// </summary>
    void SplineCoupling(Tensor x, Tensor parameters, SplineCouplingOptions options,
        bool inverse, Tensor y, Tensor logDet);

    /// <summary>
    /// Gradients of <see cref="SplineCoupling"/> from dy (B, D) and dLogDet (B), either of which may be null (a zero
    /// gradient); the bins are recomputed from x and the parameters, nothing of the forward pass is stored. dx (B, D)
    /// and dParameters (B, D * P) may each be null (not wanted); each is overwritten when its flag is set (its old
    /// contents are ignored), else accumulated into.
    /// </summary>
    void SplineCouplingBackward(Tensor x, Tensor parameters, SplineCouplingOptions options, bool inverse, Tensor? dy,
        Tensor? dLogDet, Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite);
}
