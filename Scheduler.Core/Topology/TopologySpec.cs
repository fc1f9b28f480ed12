using System.Collections.Immutable;

namespace Quorum.Core.Topology;

/// <summary>
/// A named list of node label keys, outermost first, that describe the network: for example block →
/// NVLink domain → host. Nodes sharing a value at a level (and at every level above it) form a domain.
/// </summary>
public sealed record TopologySpec
{
    public const int MaxLevels = 16;

    /// <summary>The label the kubelet sets on every node.</summary>
    public const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>NVLink domain (GB200 NVL72 rack) written by NVIDIA GPU feature discovery.</summary>
    public const string NvLinkCliqueLabel = "nvidia.com/gpu.clique";

    /// <summary>Network block written by NVIDIA's topology tooling (topograph).</summary>
    public const string BlockLabel = "network.topology.nvidia.com/block";

    /// <summary>Spine/accelerator-network levels written by NVIDIA's topology tooling (topograph).</summary>
    public const string SpineLabel = "network.topology.nvidia.com/spine";

    public TopologySpec(string name, IEnumerable<string> levels)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Levels = [.. levels];
        var error = Validate(Levels);
        if (error is not null) throw new ArgumentException($"topology {name}: {error}", nameof(levels));
    }

    private TopologySpec(string name)
    {
        Name = name;
        Levels = [];
    }

    /// <summary>No levels: every node directly under the root. Used for groups that name no topology.</summary>
    internal static TopologySpec Flat { get; } = new("flat");

    public string Name { get; }

    /// <summary>Node label keys, outermost first.</summary>
    public ImmutableArray<string> Levels { get; }

    /// <summary>The default when nothing is configured: the labels NVIDIA's tooling writes on GPU nodes.</summary>
    public static TopologySpec Default { get; } = new("default", [BlockLabel, NvLinkCliqueLabel, HostnameLabel]);

    /// <summary>Level index of a label (0 = outermost), or -1.</summary>
    public int IndexOf(string label) => Levels.IndexOf(label);

    /// <summary>Returns why these levels are not a valid topology, or null.</summary>
    public static string? Validate(IReadOnlyList<string> levels)
    {
        if (levels.Count is < 1 or > MaxLevels) return $"spec.levels: must have 1 to {MaxLevels} levels, has {levels.Count}";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < levels.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(levels[i])) return $"spec.levels[{i}].nodeLabel: must not be empty";
            if (!seen.Add(levels[i])) return $"spec.levels[{i}].nodeLabel: duplicate level \"{levels[i]}\"";
            if (levels[i] == HostnameLabel && i != levels.Count - 1)
                return $"spec.levels[{i}].nodeLabel: {HostnameLabel} may only be the last level";
        }
        return null;
    }

    public bool Equals(TopologySpec? other) => other is not null && Name == other.Name && Levels.SequenceEqual(other.Levels);

    public override int GetHashCode() => HashCode.Combine(Name, Levels.Length);
}
