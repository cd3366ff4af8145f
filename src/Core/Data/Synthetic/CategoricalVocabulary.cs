namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// The values of one categorical feature: Zipf-distributed popularity ranks, each shown as a stable pseudo-random
/// 32-bit ID (like Criteo's hashed hex values), with an optional stream of new IDs entering at the top.
/// </summary>
/// <remarks>
/// IDs are numbered by "slot". At event t the newest slot is g(t) = ⌊t · newIdsPerEvent⌋ and rank r shows slot
/// g(t) − (r − 1): each new slot takes rank 1 and pushes every older ID one rank down, so new IDs reach the head
/// and old ones age into the tail. The slot is scrambled into the ID by a keyed bijection, so the rank of any ID
/// at any time can be recovered without storing the vocabulary.
/// </remarks>
internal sealed class CategoricalVocabulary
{
    // The multipliers of Chris Wellons' "lowbias32" integer hash, chosen for its low avalanche bias.
    private const uint FirstMultiplier = 0x7FEB352D;
    private const uint SecondMultiplier = 0x846CA68B;
    private static readonly uint FirstMultiplierInverse = ModularInverse(FirstMultiplier);
    private static readonly uint SecondMultiplierInverse = ModularInverse(SecondMultiplier);

    private readonly ZipfSampler _ranks;
    private readonly uint _slotOffset;
    private readonly double _newIdsPerEvent;

    public CategoricalVocabulary(ZipfSampler ranks, uint slotOffset, double newIdsPerEvent)
    {
        _ranks = ranks;
        _slotOffset = slotOffset;
        _newIdsPerEvent = newIdsPerEvent;
    }

    public int Cardinality => _ranks.Cardinality;

    public uint SampleId(ref CounterRandom random, long eventIndex) => IdAt(_ranks.Sample(ref random), eventIndex);

    /// <summary>The ID holding popularity <paramref name="rank"/> (1 = most popular) at event <paramref name="eventIndex"/>.</summary>
    public uint IdAt(int rank, long eventIndex) => Scramble(NewestSlot(eventIndex) - (uint)(rank - 1) + _slotOffset);

    /// <summary>The popularity rank of <paramref name="id"/> at event <paramref name="eventIndex"/>, or 0 when the vocabulary does not hold it then.</summary>
    public int RankOf(uint id, long eventIndex)
    {
        uint slot = Unscramble(id) - _slotOffset;
        uint age = NewestSlot(eventIndex) - slot;
        return age < (uint)Cardinality ? (int)age + 1 : 0;
    }

    /// <summary>Slot arithmetic wraps modulo 2³², like the IDs themselves.</summary>
    private uint NewestSlot(long eventIndex) => unchecked((uint)(long)Math.Floor(eventIndex * _newIdsPerEvent));

    private static uint Scramble(uint x)
    {
        x ^= x >> 16;
        x *= FirstMultiplier;
        x ^= x >> 15;
        x *= SecondMultiplier;
        x ^= x >> 16;
        return x;
    }

    private static uint Unscramble(uint x)
    {
        x ^= x >> 16;
        x *= SecondMultiplierInverse;
        x ^= (x >> 15) ^ (x >> 30);
        x *= FirstMultiplierInverse;
        x ^= x >> 16;
        return x;
    }

    /// <summary>The inverse of an odd number modulo 2³² by Newton's iteration, which doubles the correct low bits each step.</summary>
    private static uint ModularInverse(uint odd)
    {
        uint inverse = odd; // correct to 3 bits, since odd² ≡ 1 (mod 8)
        for (int step = 0; step < 4; step++)
            inverse *= 2 - odd * inverse;
        return inverse;
    }
}
