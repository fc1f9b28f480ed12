namespace Quorum.Core.Framework;

/// <summary>
/// Decides whether a domain of the topology may hold a level of a gang at all, before any of its nodes
/// is visited: e.g. it lacks the label of a required level, or its aggregates cannot hold the minimum.
/// </summary>
public interface IDomainFilter
{
    string Name { get; }

    /// <summary>Success, or why not: Unschedulable (freed capacity could help) or Unresolvable.</summary>
    StatusCode Filter(LevelContext level, int domain);
}
