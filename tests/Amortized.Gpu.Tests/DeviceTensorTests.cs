using Amortized.Networks;
using Amortized.Tensors;
using Amortized.Tensors.Backends;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>Device storage through the public API: transfers, the ambient device, and the errors of misuse.</summary>
public sealed class DeviceTensorTests(GpuBackendFixture fixture) : IClassFixture<GpuBackendFixture>
{
    private readonly GpuBackend _gpu = fixture.Backend;

    [Fact]
    public void To_AndBack_RoundTripsExactly()
    {
        float[] values = [1.5f, -2f, float.MaxValue, 1e-30f, 0f, 7f];
        var host = Tensor.FromArray(values, 2, 3);
        var device = host.To(_gpu);
        Assert.False(device.IsOnHost);
        Assert.Equal(new Shape(2, 3), device.Shape);
        Assert.Equal(DeviceKind.Gpu, device.Device.Kind);
        Assert.Equal(values, device.ToArray());
        Assert.Equal(values, device.ToHost().Span.ToArray());
        Assert.Equal(-2f, device.ReadAt(1));
        Assert.Equal(7f, device[1, 2]);
        Assert.Same(device, device.To(_gpu));
    }

    [Fact]
    public void Span_OfDeviceTensor_ThrowsNamingTheDevice()
    {
        var device = Tensor.FromArray([1f, 2f], 2).To(_gpu);
        var e = Assert.Throws<InvalidOperationException>(() => device.Span[0]);
        Assert.Contains("gpu:0", e.Message);
        Assert.Contains("ToArray", e.Message);
    }

    [Fact]
    public void Op_OnMixedDevices_ThrowsNamingBothDevices()
    {
        var a = Tensor.FromArray([1f, 2f], 2);
        var b = a.To(_gpu);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("cpu", e.Message);
        Assert.Contains("gpu:0", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Linear(b, Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2), null));
    }

    [Fact]
    public void AmbientDevice_PlacesNewTensorsAndRestores()
    {
        using (BackendScope.Use(_gpu))
        {
            var z = Tensor.Zeros(new Shape(3, 2));
            var r = Tensor.RandomNormal(new Shape(4), new Rng(1));
            var f = Tensor.FromArray([1f, 2f], 2);
            Assert.False(z.IsOnHost);
            Assert.False(r.IsOnHost);
            Assert.False(f.IsOnHost);
            Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
            // Same seed, same numbers as on the host: draws come from the host generator.
            Assert.Equal(Tensor.RandomNormal(new Shape(4), new Rng(1)).ToArray(), r.ToArray());
        }
        Assert.True(Tensor.Zeros(new Shape(2)).IsOnHost);
        Assert.Same(CpuBackend.Instance, BackendScope.Current);
    }

    [Fact]
    public void ParameterStore_MoveToDeviceAndBack_KeepsValuesAndTensorIdentity()
    {
        var store = new ParameterStore();
        var w = store.Add("w", new Shape(3, 4), Initializer.GlorotUniform, new Rng(3));
        var b = store.Add("b", new Shape(5), Initializer.GlorotUniform, new Rng(4));
        var before = store.ExportValues();
        store.MoveTo(_gpu);
        Assert.Same(_gpu, store.Backend);
        Assert.False(w.IsOnHost);
        Assert.False(w.Grad!.IsOnHost);
        Assert.Equal(before["w"], w.ToArray());
        Assert.Equal(before["b"], b.ToArray());
        Assert.Throws<InvalidOperationException>(() => store.Values.Length);
        var e = Assert.Throws<InvalidOperationException>(() => store.Add("late", new Shape(2), Initializer.Zeros, new Rng(1)));
        Assert.Contains("late", e.Message);
        // Import on the device, then come back: the imported values are what the host sees.
        var changed = before.ToDictionary(kv => kv.Key, kv => kv.Value.Select(v => v + 1f).ToArray());
        store.ImportValues(changed);
        store.MoveTo(CpuBackend.Instance);
        Assert.True(w.IsOnHost);
        Assert.Equal(changed["w"], w.Span.ToArray());
        Assert.Equal(changed["b"], store.Find("b")!.Span.ToArray());
    }

    [Fact]
    public void Create_WithUnknownDevice_ThrowsListingTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuBackend.Create("tpu"));
        Assert.Contains("cuda", e.Message);
        Assert.Throws<ArgumentException>(() => GpuBackend.Create("cuda:x"));
    }

    [Fact]
    public void ListDevices_IncludesTheCpuEmulator()
    {
        var devices = GpuBackend.ListDevices();
        Assert.Contains(devices, d => d.Kind == GpuDeviceKind.Cpu);
        Assert.Equal(GpuTestDevice.CudaPresent, devices.Any(d => d.Kind == GpuDeviceKind.Cuda));
    }

    [Fact]
    public void Create_Cuda_WithoutGpu_ExplainsWhatIsMissing()
    {
        if (GpuTestDevice.CudaPresent)
        {
            using var cuda = GpuBackend.Create(GpuDeviceKind.Cuda);
            Assert.Equal(GpuDeviceKind.Cuda, cuda.Kind);
            return;
        }
        var e = Assert.Throws<InvalidOperationException>(() => GpuBackend.Create(GpuDeviceKind.Cuda));
        Assert.Contains("no Cuda device", e.Message);
        Assert.False(GpuBackend.TryCreate(GpuDeviceKind.Cuda, out var none));
        Assert.Null(none);
    }
}
