using System.Text;
using Grpc.Core;
using Quorum.Api.V1Alpha1;

namespace Quorum.Tests.Grpc;

/// <summary>
/// WhatIf manifests are untrusted input: the reader stops at its limits before it builds objects,
/// so a small request cannot make the scheduler expand YAML into a hundred thousand pods.
/// </summary>
public class WhatIfLimitsTests : GrpcHostFixture
{
    /// <summary>
    /// The review's 606-byte request: Lists whose items are aliases of earlier Lists, five levels of
    /// ten, 111,110 pods once expanded.
    /// </summary>
    private static string AliasBomb()
    {
        var yaml = new StringBuilder("apiVersion: v1\nkind: List\nitems:\n");
        yaml.Append("- &l0 {apiVersion: v1, kind: List, items: [&p {apiVersion: v1, kind: Pod, metadata: {name: p}}")
            .Append(string.Concat(Enumerable.Repeat(", *p", 9))).Append("]}\n");
        for (var level = 1; level <= 4; level++)
        {
            yaml.Append($"- &l{level} {{apiVersion: v1, kind: List, items: [*l{level - 1}")
                .Append(string.Concat(Enumerable.Repeat($", *l{level - 1}", 9))).Append("]}\n");
        }
        return yaml.ToString();
    }

    [Test]
    public async Task YAML_aliases_are_refused_before_anything_is_expanded()
    {
        SeedCluster();
        var host = await StartHostAsync();
        var bomb = AliasBomb();
        Assert.That(bomb, Has.Length.LessThan(700));

        var e = await FailsAsync(ApiClient(host).WhatIfAsync(new WhatIfRequest { Manifests = bomb }));

        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), e.Status.Detail);
        Assert.That(e.Status.Detail, Does.Match(@"^manifests: line 4, column \d+: YAML aliases \(\*p\) are not accepted"));
    }

    [Test]
    public async Task More_objects_than_the_limit_are_ResourceExhausted_naming_the_limit()
    {
        SeedCluster();
        var host = await StartHostAsync();
        var yaml = new StringBuilder("apiVersion: v1\nkind: List\nitems:\n");
        for (var i = 0; i <= 10_000; i++) yaml.Append("- {apiVersion: v1, kind: Pod, metadata: {name: p").Append(i).Append("}}\n");

        var e = await FailsAsync(ApiClient(host).WhatIfAsync(new WhatIfRequest { Manifests = yaml.ToString() }));

        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted), e.Status.Detail);
        Assert.That(e.Status.Detail, Is.EqualTo("manifests: document 1 items[10000]: more than 10000 objects, the most a request may hold"));
    }

    [Test]
    public async Task A_List_inside_a_List_is_InvalidArgument()
    {
        SeedCluster();
        var host = await StartHostAsync();
        const string yaml = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: List
              items:
              - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: ml}, spec: {containers: [{name: c}]}}
            """;

        var e = await FailsAsync(ApiClient(host).WhatIfAsync(new WhatIfRequest { Manifests = yaml }));

        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), e.Status.Detail);
        Assert.That(e.Status.Detail, Is.EqualTo("manifests: document 1 items[0]: a List inside a List is not read (kubectl's List holds objects, not Lists)"));
    }
}
