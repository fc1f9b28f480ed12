using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Framework;

/// <summary>What a statement did to one pod: placed it on a node, or took it off (evicted).</summary>
public enum OperationKind : byte
{
    Allocate,
    Evict,
}

/// <summary>
/// One tentative operation. <paramref name="Tag"/> is the caller's (the search keeps the gang level
/// index there, so it can follow a rollback without a log of its own).
/// </summary>
public readonly record struct Operation(OperationKind Kind, Pod Pod, int Slot, int Tag, bool Extra);

/// <summary>
/// Tentative changes to a snapshot, in the shape of KAI Scheduler's statement: allocate and evict
/// pods, take a checkpoint, roll back to it, or commit. Every later choice of the cycle sees earlier
/// ones (the snapshot's aggregates and node pod lists move at once); a rollback undoes newest first.
/// </summary>
/// <remarks>
/// The only undo log of a cycle: placement, extras, reservations and what-ifs all go through one.
/// Committing hands the operations to the caller (to assume, bind or evict) and keeps them on the
/// snapshot; the snapshot must then be brought back in step from the cache.
/// </remarks>
public sealed class Statement(ClusterSnapshot snapshot)
{
    private readonly List<Operation> _operations = [];

    public ClusterSnapshot Snapshot => snapshot;

    /// <summary>Operations since the last commit, oldest first.</summary>
    public IReadOnlyList<Operation> Operations => _operations;

    public int Checkpoint() => _operations.Count;

    public void Allocate(Pod pod, int slot, int tag = 0, bool extra = false)
    {
        snapshot.Apply(slot, pod, add: true);
        _operations.Add(new Operation(OperationKind.Allocate, pod, slot, tag, extra));
    }

    /// <summary>Takes a pod off its node tentatively; the caller knows it is there (from <see cref="NodeInfo.Pods"/>).</summary>
    public void Evict(Pod pod, int slot, int tag = 0)
    {
        snapshot.Apply(slot, pod, add: false);
        _operations.Add(new Operation(OperationKind.Evict, pod, slot, tag, false));
    }

    /// <summary>Undoes every operation after <paramref name="checkpoint"/>, newest first.</summary>
    public void Rollback(int checkpoint)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(checkpoint, _operations.Count);
        for (var i = _operations.Count - 1; i >= checkpoint; i--)
        {
            var op = _operations[i];
            snapshot.Apply(op.Slot, op.Pod, add: op.Kind == OperationKind.Evict);
        }
        _operations.RemoveRange(checkpoint, _operations.Count - checkpoint);
    }

    /// <summary>Undoes everything not committed.</summary>
    public void Discard() => Rollback(0);

    /// <summary>Keeps the operations on the snapshot and returns them; the statement starts empty again.</summary>
    public Operation[] Commit()
    {
        var done = _operations.ToArray();
        _operations.Clear();
        return done;
    }
}
