using Quorum.Core.Gangs;

namespace Quorum.Core.Framework;

/// <summary>The order the queue offers gangs in and a cycle tries them (kube-scheduler's QueueSort).</summary>
public interface IGangOrder : IComparer<GangRequest>
{
    string Name { get; }
}
