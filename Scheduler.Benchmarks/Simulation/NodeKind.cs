using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// One shape of GPU node in a simulated cluster. Every node carries its kind in
/// <see cref="ProductLabel"/> and every generated pod selects one kind, so a mixed cluster never
/// puts a pod shaped for 4-GPU trays on an 8-GPU HGX node (or the reverse).
/// </summary>
public sealed record NodeKind(string Product, ClusterProfile Profile)
{
    /// <summary>The label GPU feature discovery writes with the GPU model.</summary>
    public const string ProductLabel = "nvidia.com/gpu.product";

    public static NodeKind Gb200 { get; } = new("NVIDIA-GB200", ClusterProfile.Gb200Nvl72);

    public static NodeKind H100 { get; } = new("NVIDIA-H100-80GB-HBM3", ClusterProfile.HgxH100);

    public int GpusPerNode => Profile.GpusPerNode;

    public IReadOnlyDictionary<string, string> Selector { get; } = new Dictionary<string, string> { [ProductLabel] = Product };

    public override string ToString() => Profile.Name;
}
