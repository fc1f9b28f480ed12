using System.Text.Json;
using k8s.Models;
using Quorum.Cli;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.Grpc;

/// <summary>The CLI verbs that ask a running scheduler (explain, capacity, whatif --live), run in-process against the host.</summary>
public class ApiCommandsTests : GrpcHostFixture
{
    private string _address = "";

    private async Task<(int Code, string Out, string Err)> RunAsync(Func<string[], TextWriter, TextWriter, CancellationToken, Task<int>> verb, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await verb([.. args, "--address", _address], stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task StartAsync()
    {
        SeedCluster();
        var host = await StartHostAsync();
        _address = $"127.0.0.1:{AddressOf(host).Port}";
    }

    [TestCase("10.0.0.7:10260", null, true)]
    [TestCase("http://quorum.example:10260", null, true)]
    [TestCase("127.0.0.1:10260", null, false)]
    [TestCase("localhost:10260", null, false)]
    [TestCase("[::1]:10260", null, false)]
    [TestCase("https://quorum.example:10260", null, false)]
    [TestCase("10.0.0.7:10260", "ca.crt", false)]
    public void A_token_sent_without_TLS_off_loopback_is_warned_about(string address, string? caFile, bool warns)
    {
        using var connection = new ApiConnection();
        string[] args = ["--address", address, "--token", "t", .. caFile is null ? Array.Empty<string>() : ["--ca-file", caFile]];
        for (var i = 0; i < args.Length; i++) Assert.That(connection.TryParse(args, ref i), Is.True);

        Assert.That(connection.ClearTextWarning, warns ? Does.StartWith($"warning: sending the token to {address} without TLS") : Is.Null);
        using var anonymous = new ApiConnection();
        var a = new[] { "--address", address };
        for (var i = 0; i < a.Length; i++) Assert.That(anonymous.TryParse(a, ref i), Is.True);
        Assert.That(anonymous.ClearTextWarning, Is.Null, "no token, nothing to leak");
    }

    [Test]
    public async Task Capacity_prints_a_table_per_domain_and_a_heat_map_of_free_GPUs()
    {
        await StartAsync();

        var (code, output, _) = await RunAsync(CapacityCommand.RunAsync);

        Assert.That(code, Is.Zero);
        var lines = output.Split('\n');
        Assert.That(lines[0], Is.EqualTo("topology default, level nvidia.com/gpu.clique"));
        Assert.That(lines.Single(l => l.StartsWith("b1/r1", StringComparison.Ordinal)), Does.Match(@"^b1/r1\s+2\s+8/16\s+128/128\s+1024Gi/1024Gi\s+8\s+1/2/4/8$"));
        Assert.That(lines.Single(l => l.StartsWith("(cluster)", StringComparison.Ordinal)), Does.Match(@"^\(cluster\)\s+4\s+24/32\s"));
        // r1: half its GPUs free; r2: all.
        Assert.That(lines, Does.Contain("b1  ▒█"));
    }

    [Test]
    public async Task Capacity_as_json_is_the_response_in_protobufs_JSON_mapping()
    {
        await StartAsync();

        var (code, output, _) = await RunAsync(CapacityCommand.RunAsync, "-o", "json", "--level", "block");

        Assert.That(code, Is.Zero);
        using var json = JsonDocument.Parse(output);
        var domain = json.RootElement.GetProperty("domains").EnumerateArray().Single();
        Assert.That(domain.GetProperty("domain").GetString(), Is.EqualTo("b1"));
        Assert.That(domain.GetProperty("gpuFree").GetString(), Is.EqualTo("24"), "int64 is a string in proto3 JSON");
        Assert.That(json.RootElement.GetProperty("level").GetString(), Is.EqualTo("network.topology.nvidia.com/block"));
    }

    [Test]
    public async Task Explain_prints_the_state_the_events_message_the_levels_and_the_pods()
    {
        CliqueGang("big", 3);
        await StartAsync();
        await KubeApiStandIn.WaitForAsync(() => Api.List<Eventsv1Event>("ml").Any(e => e.Reason == "FailedScheduling" && e.Regarding.Name == "big"),
            because: "the gang is refused");
        var message = Api.List<Eventsv1Event>("ml").Last(e => e.Reason == "FailedScheduling" && e.Regarding.Name == "big").Note;

        var (code, output, _) = await RunAsync(ExplainCommand.RunAsync, "podgroup", "big", "-n", "ml");

        Assert.That(code, Is.Zero);
        var lines = output.Split('\n');
        Assert.That(lines[0], Is.EqualTo("PodGroup ml/big: Unschedulable"));
        Assert.That(lines[1], Is.EqualTo($"  {message}"));
        Assert.That(lines[2], Does.StartWith("Queue: position 1 of 1, lane Unschedulable"));
        Assert.That(lines.Single(l => l.StartsWith("<group>", StringComparison.Ordinal)),
            Does.Match(@"^<group>\s+nvidia.com/gpu.clique\s+3 × 8 nvidia.com/gpu\s+2\s+b1/r2\s+nvidia.com/gpu 24 / 16$"));
        Assert.That(lines.Count(l => l.StartsWith("big-", StringComparison.Ordinal) && l.Contains("<none>", StringComparison.Ordinal)), Is.EqualTo(3));

        var (_, json, _) = await RunAsync(ExplainCommand.RunAsync, "pod/big-0", "-n", "ml", "-o", "json");
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("state").GetString(), Is.EqualTo("Unschedulable"));
        Assert.That(doc.RootElement.GetProperty("message").GetString(), Is.EqualTo(message));
    }

    [Test]
    public async Task Whatif_live_prints_the_placement_and_exits_1_when_a_group_would_not_be_admitted()
    {
        await StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"quorum-whatif-{Guid.NewGuid():N}.yaml");
        string Gang(int pods) => $$$"""
            apiVersion: scheduling.quorum.dev/v1alpha1
            kind: PodGroup
            metadata: {name: trial, namespace: ml}
            spec: {minMember: {{{pods}}}, topologyConstraint: {topology: default, requiredTopologyLevel: nvidia.com/gpu.clique}}
            """ + string.Concat(Enumerable.Range(0, pods).Select(i => $$$"""

            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: trial-{{{i}}}, namespace: ml, labels: {scheduling.quorum.dev/pod-group: trial}}
            spec: {schedulerName: quorum, containers: [{name: c, resources: {requests: {nvidia.com/gpu: "8"} } }]}
            """));
        try
        {
            await File.WriteAllTextAsync(file, Gang(2));
            var (code, output, _) = await RunAsync(LiveWhatIfCommand.RunAsync, "--live", "-f", file);
            Assert.That(code, Is.Zero, output);
            Assert.That(output, Does.Match(@"(?m)^trial-0\s+n[34]\s+b1/r2/n[34]"));
            Assert.That(output, Does.Contain("1/1 groups would be admitted now"));

            await File.WriteAllTextAsync(file, Gang(3));
            (code, output, _) = await RunAsync(LiveWhatIfCommand.RunAsync, "--live", "-f", file);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(output, Does.Contain("the best clique fits 2"));
        }
        finally
        {
            File.Delete(file);
        }
        Assert.That(Api.List<V1Pod>("ml").Select(p => p.Metadata.Name), Is.EqualTo(new[] { "busy" }), "nothing created or bound");
    }

    [Test]
    public async Task An_unreachable_scheduler_and_a_refusal_are_exit_code_2_with_the_reason()
    {
        await StartAsync();

        var (code, _, error) = await RunAsync(ExplainCommand.RunAsync, "pod", "ghost", "-n", "ml");
        Assert.That((code, error.Trim()), Is.EqualTo((2, "error: NotFound: pod ml/ghost not found (or it has terminated)")));

        _address = "127.0.0.1:9";
        (code, _, error) = await RunAsync(CapacityCommand.RunAsync);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("error: cannot reach the scheduler at 127.0.0.1:9"));
    }
}
