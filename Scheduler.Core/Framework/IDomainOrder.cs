namespace Quorum.Core.Framework;

/// <summary>
/// Orders the feasible domains of a level: the search tries them lowest key first. Several orders in a
/// profile compare in turn (the second breaks ties of the first); remaining ties keep label order, so
/// the result never depends on the order events arrived in.
/// </summary>
public interface IDomainOrder
{
    string Name { get; }

    long Key(LevelContext level, int domain);
}
