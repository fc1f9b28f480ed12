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
