using Quorum.Core.Model;

namespace Quorum.Core.Snapshot;

/// <summary>
/// A node as one scheduling cycle sees it: the spec and what pods (bound and assumed) already request.
/// Snapshot-owned and mutable only through <see cref="ClusterSnapshot"/> so the topology aggregates
/// stay in step.
/// </summary>
public sealed class NodeInfo
{
    internal NodeInfo(Node node, ResourceVector requested, int slot, long generation)
    {
        Node = node;
        Requested = requested;
        Slot = slot;
        Generation = generation;
    }

    public Node Node { get; internal set; }
    public string Name => Node.Name;

    /// <summary>Sum of the effective requests of every pod on the node, including pod slots.</summary>
    public ResourceVector Requested { get; internal set; }

    public ResourceVector Free => Node.Allocatable - Requested;

    /// <summary>Free GPUs, without building the whole free vector.</summary>
    public long FreeGpu => Node.Allocatable.Gpu - Requested.Gpu;

    /// <summary>Dense index of the node in its snapshot; stable while the node exists.</summary>
    public int Slot { get; }

    /// <summary>Cache generation this copy was taken at.</summary>
    public long Generation { get; internal set; }
}
