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
