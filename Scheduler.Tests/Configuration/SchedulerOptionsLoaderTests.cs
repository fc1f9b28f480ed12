using Quorum.Configuration;

namespace Quorum.Tests.Configuration;

public class SchedulerOptionsLoaderTests
{
    [Test]
    public void Defaults_are_valid()
    {
        var o = SchedulerOptionsLoader.Load(null);
        Assert.That(o.SchedulerNames, Is.EqualTo(new[] { "quorum" }));
        Assert.That(o.LeaderElection.LeaderElect, Is.True);
    }

    [Test]
    public void A_file_overrides_what_it_sets()
    {
        var o = SchedulerOptionsLoader.Parse("""
            schedulerNames: [quorum, quorum-training]
            bindParallelism: 32
            clientConnection: {qps: 100, burst: 200}
            leaderElection: {leaseDuration: 30s, renewDeadline: 20s, resourceNamespace: kube-system}
            """);
        Assert.Multiple(() =>
        {
            Assert.That(o.SchedulerNames, Is.EqualTo(new[] { "quorum", "quorum-training" }));
            Assert.That(o.BindParallelism, Is.EqualTo(32));
            Assert.That(o.ClientConnection.Burst, Is.EqualTo(200));
            Assert.That(o.LeaderElection.ResourceNamespace, Is.EqualTo("kube-system"));
            Assert.That(o.LeaderElection.RetryPeriod, Is.EqualTo("2s"), "unset fields keep their defaults");
        });
    }

    [TestCase("bindParallelism: 0", "config: bindParallelism: \"0\" must be between 1 and 256")]
    [TestCase("assumedPodTtl: soon", "config: assumedPodTtl: \"soon\" is not a duration")]
    [TestCase("leaderElection: {leaseDuration: 10s, renewDeadline: 15s}", "config: leaderElection.renewDeadline: \"15s\" must be less than leaseDuration")]
    [TestCase("grpcBindAddress: localhost", "config: grpcBindAddress: \"localhost\" is not host:port")]
    [TestCase("schedulerNames: []", "config: schedulerNames: \"[]\" must name at least one scheduler")]
    [TestCase("bindParalelism: 4", "config: line 1, column 1")]
    [TestCase("bindParallelism: [1", "config: line")]
    public void Bad_fields_are_named_with_their_value(string yaml, string expected)
    {
        var e = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse(yaml));
        Assert.That(e!.Message, Does.Contain(expected));
    }

    [Test]
    public void Every_bad_field_is_reported_at_once()
    {
        var e = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse("bindParallelism: 0\npodInitialBackoffSeconds: 0"));
        Assert.That(e!.Errors, Has.Count.EqualTo(2));
    }

    [Test]
    public void Unknown_score_plugins_and_bad_weights_fail_start_up_one_line_per_field()
    {
        const string yaml = """
            profile:
              plugins:
                score:
                  enabled:
                  - {name: GpuBestFitt, weight: 2}
                  - {name: TaintToleration, weight: 0}
                  - {name: GpuBestFit, weight: 101}
                  disabled:
                  - {name: NodeResourcesMostAllocated}
            """;
        var e = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse(yaml));
        Assert.That(e!.Errors, Has.Count.EqualTo(4));
        Assert.That(e.Errors[0], Does.StartWith("config: profile.plugins.score.enabled[0].name: \"GpuBestFitt\" is not a score plugin (GpuBestFit, TaintToleration"));
        Assert.That(e.Errors[1], Is.EqualTo("config: profile.plugins.score.enabled[1].weight: \"0\" must be between 1 and 100"));
        Assert.That(e.Errors[2], Is.EqualTo("config: profile.plugins.score.enabled[2].weight: \"101\" must be between 1 and 100"));
        Assert.That(e.Errors[3], Does.StartWith("config: profile.plugins.score.disabled[0].name: \"NodeResourcesMostAllocated\" is not a score plugin"));
    }

    [Test]
    public void Score_weights_from_the_file_reach_the_profile()
    {
        var o = SchedulerOptionsLoader.Parse("profile: {plugins: {score: {enabled: [{name: TaintToleration, weight: 7}], disabled: [{name: GpuBestFit}]}}}");
        var profile = o.CreateProfile();
        Assert.That(profile.Scorers.Select(s => (s.Scorer.Name, s.Weight)),
            Is.EqualTo(new[] { ("TaintToleration", 7), ("InterPodAffinity", 2), ("PodTopologySpread", 2) }));
    }

    [TestCase("15s", 15_000)]
    [TestCase("1m30s", 90_000)]
    [TestCase("500ms", 500)]
    [TestCase("1h", 3_600_000)]
    public void Durations_read_like_Kubernetes_component_configs(string text, double ms)
    {
        Assert.That(GoDuration.TryParse(text, out var d), Is.True);
        Assert.That(d.TotalMilliseconds, Is.EqualTo(ms));
    }
}
