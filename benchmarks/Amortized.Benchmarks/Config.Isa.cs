using BenchmarkDotNet.Jobs;

namespace Amortized.Benchmarks;

public partial class Config
{
    /// <summary>Runtime knob that hides AVX-512 from the JIT: Vector512 stops being accelerated.</summary>
    public const string EnableAvx512F = "DOTNET_EnableAVX512F";

    /// <summary>Runtime knob that hides every hardware intrinsic: all kernels take their scalar path.</summary>
    public const string EnableHWIntrinsic = "DOTNET_EnableHWIntrinsic";

    /// <summary>
    /// One job per instruction set the kernels have a path for, selected with runtime environment variables
    /// (after ImageSharp's Config.HwIntrinsics.cs). On a machine without AVX-512 the first two jobs coincide.
    /// </summary>
    public class Isa : Config
    {
        public Isa()
        {
            AddJob(Job.Default.WithId("1. AVX-512").AsBaseline());
            AddJob(Job.Default.WithEnvironmentVariables(new EnvironmentVariable(EnableAvx512F, "0")).WithId("2. AVX2"));
            AddJob(Job.Default.WithEnvironmentVariables(new EnvironmentVariable(EnableHWIntrinsic, "0"))
                .WithId("3. Scalar"));
        }
    }

    /// <summary>Default instruction set only (and whatever --job asks for), plus a GFLOP/s column.</summary>
    public class Flops : Config
    {
        public Flops()
        {
            AddColumn(new GflopsColumn());
        }
    }

    /// <summary><see cref="Isa"/> plus the GFLOP/s column.</summary>
    public class IsaFlops : Isa
    {
        public IsaFlops()
        {
            AddColumn(new GflopsColumn());
        }
    }
}
