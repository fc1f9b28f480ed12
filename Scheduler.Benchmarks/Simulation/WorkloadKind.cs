namespace Quorum.Benchmarks.Simulation;

public enum WorkloadKind
{
    /// <summary>Disaggregated inference: router, prefill replicas (minSubGroup of them), decode.</summary>
    Disaggregated,

    /// <summary>A multi-node training gang: every pod takes all GPUs of a node.</summary>
    Training,

    /// <summary>One pod with one GPU, no PodGroup: a group of one.</summary>
    SingleGpu,
}
