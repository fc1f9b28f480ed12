using Quorum.Api;
using Quorum.Tests.ApiServer;
using Quorum.Tests.ApiServerTests;

namespace Quorum.Tests.Grpc;

/// <summary>
/// The SubjectAccessReview cache reuses a decision only for the same caller (user, uid, groups,
/// extra) asking the same thing: callers an authorizer tells apart never share an answer.
/// </summary>
public class AccessReviewCacheTests : StandInFixture
{
    private readonly List<SubjectAccess> _reviews = [];

    protected override KubeApiStandInOptions Options()
    {
        lock (_reviews) _reviews.Clear();
        return new KubeApiStandInOptions
        {
            // Allowed: members of group "admins", or callers whose token carries the scope "write".
            Authorize = a =>
            {
                lock (_reviews) _reviews.Add(a);
                return a.Groups.Contains("admins") || (a.Extra.TryGetValue("scopes", out var s) && s.Contains("write"));
            },
        };
    }

    private static ApiCaller Caller(string[] groups, Dictionary<string, IReadOnlyList<string>>? extra = null) =>
        new("alice", groups, "uid-1", extra ?? []);

    private KubernetesAccessReview Reviews() => new(Client, TimeProvider.System, TimeSpan.FromMinutes(10));

    [Test]
    public async Task Groups_are_not_confused_by_a_comma_in_a_group_name()
    {
        var reviews = Reviews();
        var what = ApiAccess.ListNodes;

        var member = await reviews.AuthorizeAsync(Caller(["admins", "dev"]), what, CancellationToken.None);
        var lookalike = await reviews.AuthorizeAsync(Caller(["admins,dev"]), what, CancellationToken.None);

        Assert.That((member.Allowed, lookalike.Allowed), Is.EqualTo((true, false)));
        lock (_reviews) Assert.That(_reviews, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Callers_that_differ_only_in_extra_get_their_own_decision()
    {
        var reviews = Reviews();
        var what = ApiAccess.CreatePods("ml");

        var writer = await reviews.AuthorizeAsync(Caller(["dev"], new() { ["scopes"] = ["write"] }), what, CancellationToken.None);
        var reader = await reviews.AuthorizeAsync(Caller(["dev"], new() { ["scopes"] = ["read"] }), what, CancellationToken.None);

        Assert.That((writer.Allowed, reader.Allowed), Is.EqualTo((true, false)));
    }

    [Test]
    public async Task The_same_caller_asking_the_same_thing_is_answered_from_the_cache_whatever_the_order_of_groups_and_extra()
    {
        var reviews = Reviews();
        var what = ApiAccess.GetPod(new Quorum.Core.Model.ObjectKey("ml", "p"));

        await reviews.AuthorizeAsync(Caller(["admins", "dev"], new() { ["a"] = ["1"], ["b"] = ["2"] }), what, CancellationToken.None);
        await reviews.AuthorizeAsync(Caller(["dev", "admins"], new() { ["b"] = ["2"], ["a"] = ["1"] }), what, CancellationToken.None);
        await reviews.AuthorizeAsync(Caller(["admins", "dev"], new() { ["a"] = ["1"], ["b"] = ["2"] }), ApiAccess.GetPod(new Quorum.Core.Model.ObjectKey("ml", "q")), CancellationToken.None);

        lock (_reviews) Assert.That(_reviews.Select(r => r.Name), Is.EqualTo(new[] { "p", "q" }));
    }
}
