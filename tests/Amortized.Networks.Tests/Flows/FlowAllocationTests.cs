using Amortized.Kernels.Cpu;
using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

[Collection(SerialCollection.Name)]
public class FlowAllocationTests
{
    /// <summary>The W1 training step of ../shared/WORKLOADS.md (6 affine couplings, D = 2, C = 2, B = 512), and the
    /// W2 step (a mean-pooled set encoder in front), after warm-up, allocate no managed memory.</summary>
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    public void TrainingStep_W1AndW2_SteadyState_AllocatesZeroBytes(bool withSetEncoder, int threads)
    {
        int previousThreads = KernelThreading.MaxThreads;
        KernelThreading.MaxThreads = threads;
        try
        {
            var store = new ParameterStore();
            var rng = new Rng(1);
            Mlp? phi = null, rho = null;
            int batch = 512, conditionDim = 2;
            if (withSetEncoder)
            {
                (batch, conditionDim) = (128, 8);
                phi = new Mlp(store, "phi", 2, new MlpOptions { Widths = [64, 64] }, rng);
                rho = new Mlp(store, "rho", 64, new MlpOptions { Widths = [64], OutputDim = 8 }, rng);
            }
            var flow = new CouplingFlow(store, "flow", 2, conditionDim, new CouplingFlowOptions
            {
                Depth = 6, SubnetWidths = [128, 128], Dropout = 0f, AffineScale = AffineScale.TanhExp,
                Permutation = PermutationKind.Swap, UseActNorm = false, DualCoupling = false,
            }, rng);
            var adam = new Adam(store);
            var workspace = new Workspace();
            var tape = new Tape();
            var theta = Tensor.RandomNormal(new Shape(batch, 2), rng);
            var data = withSetEncoder ? Tensor.RandomNormal(new Shape(batch, 100, 2), rng) : Tensor.RandomNormal(new Shape(batch, 2), rng);
            void Step()
            {
                workspace.Reset();
                store.ZeroGrad();
                using (workspace.Activate())
                using (tape.Record())
                {
                    var conditions = phi is null ? data : rho!.Forward(phi.Forward(data).Mean(1));
                    tape.Backward(flow.Loss(theta, conditions));
                }
                adam.Update();
            }
            // Warm-up past the runtime's tier-up threshold (30 calls) and five windows, like the other steady-state tests.
            Assert.Equal(0, Amortized.Testing.Allocations.SteadyStateBytes(Step, warmUp: 30, windows: 5, stepsPerWindow: 3));
        }
        finally
        {
            KernelThreading.MaxThreads = previousThreads;
        }
    }
}
