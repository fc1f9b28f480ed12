using System.Collections.Immutable;

namespace Quorum.Core.Model;

public enum VolumeBindingMode
{
    Immediate,
    WaitForFirstConsumer,
}

/// <summary>A StorageClass as volume binding reads it.</summary>
public sealed record StorageClassInfo(string Name, string? Provisioner, VolumeBindingMode BindingMode, ImmutableArray<NodeSelectorTerm> AllowedTopologies)
{
    /// <summary>kube's marker for classes of pre-created (local) volumes only.</summary>
    public const string NoProvisioner = "kubernetes.io/no-provisioner";

    public bool CanProvision => !string.IsNullOrEmpty(Provisioner) && Provisioner != NoProvisioner;

    /// <summary>allowedTopologies admit the node (none set admits every node).</summary>
    public bool AllowsNode(Node node) => AllowedTopologies.IsDefaultOrEmpty || AllowedTopologies.Any(t => t.Matches(node));
}

/// <summary>A PersistentVolumeClaim as volume binding reads it.</summary>
/// <param name="VolumeName">spec.volumeName: bound (or pre-bound) to this PersistentVolume.</param>
public sealed record ClaimInfo(ObjectKey Key, string Uid, string? VolumeName, string? StorageClassName, long RequestBytes,
    ImmutableArray<string> AccessModes, bool Deleting)
{
    public const string ReadWriteOncePod = "ReadWriteOncePod";

    public bool IsReadWriteOncePod => !AccessModes.IsDefaultOrEmpty && AccessModes.Contains(ReadWriteOncePod);
}

/// <summary>A PersistentVolume as volume binding reads it.</summary>
/// <param name="ClaimRef">spec.claimRef: the claim it is bound or promised to; null while available.</param>
public sealed record VolumeInfo(string Name, string? StorageClassName, long CapacityBytes, ImmutableArray<string> AccessModes,
    ImmutableArray<NodeSelectorTerm> NodeAffinity, ObjectKey? ClaimRef, bool Released)
{
    /// <summary>spec.csi.driver: the CSI driver that attaches it (counted against the node's CSINode limit).</summary>
    public string? CsiDriver { get; init; }

    /// <summary>Required node affinity admits the node (none set admits every node).</summary>
    public bool AllowsNode(Node node) => NodeAffinity.IsDefaultOrEmpty || NodeAffinity.Any(t => t.Matches(node));

    /// <summary>kube's static binding match: same class, enough capacity, every access mode, free (or promised to this claim).</summary>
    public bool CouldBind(ClaimInfo claim) =>
        !Released && (ClaimRef is null || ClaimRef == claim.Key) && (StorageClassName ?? "") == (claim.StorageClassName ?? "")
        && CapacityBytes >= claim.RequestBytes && (claim.AccessModes.IsDefaultOrEmpty || claim.AccessModes.All(m => !AccessModes.IsDefaultOrEmpty && AccessModes.Contains(m)));
}

/// <summary>
/// The claims, volumes and classes of the cluster, as of the last watch events: immutable, so a
/// snapshot handed to another thread (a what-if) reads a consistent one while the loop moves on.
/// </summary>
public sealed record VolumeCatalog
{
    public static VolumeCatalog Empty { get; } = new();

    public ImmutableDictionary<ObjectKey, ClaimInfo> Claims { get; init; } = ImmutableDictionary<ObjectKey, ClaimInfo>.Empty;
    public ImmutableDictionary<string, VolumeInfo> Volumes { get; init; } = ImmutableDictionary<string, VolumeInfo>.Empty.WithComparers(StringComparer.Ordinal);
    public ImmutableDictionary<string, StorageClassInfo> Classes { get; init; } = ImmutableDictionary<string, StorageClassInfo>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Per node (CSINode name), per CSI driver: how many of its volumes the node may attach.</summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, int>> AttachLimits { get; init; } =
        ImmutableDictionary<string, ImmutableDictionary<string, int>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>
    /// The CSI driver and a volume identity for a pod's claim: the bound volume's driver and name, or
    /// for an unbound claim its class's provisioner and the claim (a volume to be provisioned); null
    /// when the claim uses no CSI driver known here.
    /// </summary>
    public (string Driver, string Volume)? AttachmentOf(string ns, string claimName)
    {
        if (!Claims.TryGetValue(new ObjectKey(ns, claimName), out var claim)) return null;
        if (claim.VolumeName is { Length: > 0 } pv)
            return Volumes.TryGetValue(pv, out var v) && v.CsiDriver is { } d ? (d, pv) : null;
        return claim.StorageClassName is { Length: > 0 } cls && Classes.TryGetValue(cls, out var sc) && sc.CanProvision
            ? (sc.Provisioner!, $"claim:{ns}/{claimName}") : null;
    }

    /// <summary>
    /// The available volume that would be bound to <paramref name="claim"/> on <paramref name="node"/>:
    /// the smallest that fits, as kube's PV controller picks; null when none.
    /// </summary>
    public VolumeInfo? MatchingVolume(ClaimInfo claim, Node node, IReadOnlySet<string>? taken = null)
    {
        VolumeInfo? best = null;
        foreach (var v in Volumes.Values)
        {
            if (!v.CouldBind(claim) || !v.AllowsNode(node) || taken?.Contains(v.Name) == true) continue;
            if (best is null || v.CapacityBytes < best.CapacityBytes || (v.CapacityBytes == best.CapacityBytes && string.CompareOrdinal(v.Name, best.Name) < 0)) best = v;
        }
        return best;
    }
}
