// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the buffer pool: registration with the device, O(1)
 * alloc/free until exhaustion, reference counting, device addresses,
 * growth in chunks up to the ceiling.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "frames.h"

TEST(alloc_until_empty_then_free_all)
{
	struct bypass_pool *pool;
	struct bypass_buf *b[64];
	int i, j;

	ASSERT_EQ(0, bypass_pool_create(NULL, 64, 2048, &pool));
	EXPECT_EQ(64u, bypass_pool_capacity(pool));
	for (i = 0; i < 64; i++) {
		b[i] = bypass_buf_alloc(pool);
		ASSERT_NE(NULL, b[i]);
		EXPECT_EQ(0u, b[i]->len);
		EXPECT_EQ(BYPASS_BUF_HEADROOM, bypass_buf_headroom(b[i]));
		EXPECT_EQ(2048u - BYPASS_BUF_HEADROOM, bypass_buf_tailroom(b[i]));
		for (j = 0; j < i; j++)
			ASSERT_NE(b[i]->head, b[j]->head);
	}
	EXPECT_EQ(NULL, bypass_buf_alloc(pool));
	EXPECT_EQ(0u, bypass_pool_available(pool));
	for (i = 0; i < 64; i++) {
		/* Each buffer is writable over its whole size. */
		memset(b[i]->head, i, b[i]->size);
		bypass_buf_put(b[i]);
	}
	EXPECT_EQ(64u, bypass_pool_available(pool));
	EXPECT_EQ(0u, bypass_pool_bad_puts(pool));
	bypass_pool_destroy(pool);
}

TEST(refcount_frees_on_last_put_and_catches_extra_puts)
{
	struct bypass_pool *pool;
	struct bypass_buf *b;

	ASSERT_EQ(0, bypass_pool_create(NULL, 4, 4096, &pool));
	b = bypass_buf_alloc(pool);
	ASSERT_NE(NULL, b);
	bypass_buf_get(b);
	bypass_buf_put(b);
	EXPECT_EQ(3u, bypass_pool_available(pool));
	bypass_buf_put(b);
	EXPECT_EQ(4u, bypass_pool_available(pool));
	bypass_buf_put(b);
	EXPECT_EQ(4u, bypass_pool_available(pool));
	EXPECT_EQ(1u, bypass_pool_bad_puts(pool));
	bypass_pool_destroy(pool);
}

TEST(rejects_bad_sizes)
{
	struct bypass_pool *pool;

	EXPECT_EQ(-EINVAL, bypass_pool_create(NULL, 4, 1000, &pool));
	EXPECT_EQ(-EINVAL, bypass_pool_create(NULL, 4, 128, &pool));
	EXPECT_EQ(-EINVAL, bypass_pool_create(NULL, 0, 2048, &pool));
}

TEST(device_addresses_come_from_registration)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT };
	struct bypass_pair *pair;
	struct bypass_pool *pool;
	struct bypass_buf *a, *b;

	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	ASSERT_EQ(0, bypass_pool_create(bypass_pair_dev(pair, 0), 8, 2048, &pool));
	a = bypass_buf_alloc(pool);
	b = bypass_buf_alloc(pool);
	ASSERT_NE(NULL, b);
	/* The emulated IOMMU gives addresses unlike process addresses. */
	EXPECT_NE((uint64_t)(uintptr_t)a->head, a->iova);
	EXPECT_EQ(a->iova + (uint64_t)(b->head - a->head), b->iova);
	EXPECT_EQ(a->iova + 100, bypass_buf_iova(a, a->head + 100));
	bypass_buf_put(a);
	bypass_buf_put(b);
	bypass_pool_destroy(pool);
	bypass_pair_destroy(pair);
}

TEST(paged_registration_gives_each_buffer_its_page_address)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT, .paged_iova = true };
	struct bypass_pair *pair;
	struct bypass_pool *pool;
	struct bypass_buf *b[4];
	int i;

	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	ASSERT_EQ(0, bypass_pool_create(bypass_pair_dev(pair, 0), 4, 2048, &pool));
	for (i = 0; i < 4; i++)
		ASSERT_NE(NULL, b[i] = bypass_buf_alloc(pool));
	/* Buffers are handed out from index 0; two share each 4 KiB page. */
	ASSERT_EQ(b[0]->head + 2048, b[1]->head);
	EXPECT_EQ(b[0]->iova + 2048, b[1]->iova);
	/* The device put the second page before the first. */
	EXPECT_EQ(b[0]->iova - 4096, b[2]->iova);
	EXPECT_EQ(b[2]->iova + 2048, b[3]->iova);
	/* Larger buffers would straddle pages: refused. */
	EXPECT_EQ(-EOPNOTSUPP, bypass_pool_create(bypass_pair_dev(pair, 0), 4, 8192,
						  &pool));
	for (i = 0; i < 4; i++)
		bypass_buf_put(b[i]);
	bypass_pool_destroy(pool);
	bypass_pair_destroy(pair);
}

/* Stamp each buffer with its number over its whole size, then check all. */
static int stamp_and_check(struct bypass_buf **b, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i++)
		memset(b[i]->head, (int)(i & 0xff), b[i]->size);
	for (i = 0; i < n; i++)
		for (j = 0; j < b[i]->size; j += 512)
			if (b[i]->head[j] != (uint8_t)(i & 0xff))
				return -1;
	return 0;
}

TEST(starts_with_one_chunk_and_grows_on_demand_to_the_ceiling)
{
	static struct bypass_buf *b[3000];
	struct bypass_pool *pool;
	uint32_t i;

	ASSERT_EQ(0, bypass_pool_create(NULL, 3000, 2048, &pool));
	/* One 2 MiB chunk of 2 KiB buffers. */
	EXPECT_EQ(1024u, bypass_pool_capacity(pool));
	EXPECT_EQ(1024u, bypass_pool_available(pool));
	EXPECT_EQ(3000u, bypass_pool_ceiling(pool));
	EXPECT_EQ((size_t)2 << 20, bypass_pool_mapped_bytes(pool));
	for (i = 0; i < 3000; i++) {
		b[i] = bypass_buf_alloc(pool);
		ASSERT_NE(NULL, b[i]);
		if (i == 1024)	/* the 1025th took a second chunk */
			EXPECT_EQ(2048u, bypass_pool_capacity(pool));
	}
	EXPECT_EQ(3000u, bypass_pool_capacity(pool));
	EXPECT_EQ(0u, bypass_pool_available(pool));
	EXPECT_EQ(NULL, bypass_buf_alloc(pool));
	EXPECT_EQ(0, bypass_pool_grow_error(pool));
	/* No two buffers overlap, whichever chunk they came from. */
	EXPECT_EQ(0, stamp_and_check(b, 3000));
	for (i = 0; i < 3000; i++)
		bypass_buf_put(b[i]);
	EXPECT_EQ(3000u, bypass_pool_available(pool));
	EXPECT_EQ(0u, bypass_pool_bad_puts(pool));
	bypass_pool_destroy(pool);
}

TEST(a_large_ceiling_takes_at_most_eight_chunks)
{
	struct bypass_pool *pool;

	/* 32 MiB: chunks of 4 MiB. */
	ASSERT_EQ(0, bypass_pool_create(NULL, 16384, 2048, &pool));
	EXPECT_EQ(2048u, bypass_pool_capacity(pool));
	EXPECT_EQ((size_t)4 << 20, bypass_pool_mapped_bytes(pool));
	bypass_pool_destroy(pool);
	/* A small pool maps only what it needs. */
	ASSERT_EQ(0, bypass_pool_create(NULL, 64, 2048, &pool));
	EXPECT_EQ((size_t)128 << 10, bypass_pool_mapped_bytes(pool));
	bypass_pool_destroy(pool);
}

TEST(each_chunk_is_registered_and_a_failed_registration_stops_growth)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT };
	static struct bypass_buf *b[2048];
	static uint8_t filler[8][4096] __attribute__((aligned(4096)));
	struct bypass_pair *pair;
	struct bypass_pool *pool;
	struct bypass_dev *dev;
	uint64_t iova;
	int i, nfill = 0, r = 0;

	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	dev = bypass_pair_dev(pair, 0);
	ASSERT_EQ(0, bypass_pool_create(dev, 4096, 2048, &pool));
	for (i = 0; i < 1025; i++)
		ASSERT_NE(NULL, b[i] = bypass_buf_alloc(pool));
	/* The second chunk has device addresses of its own region. */
	EXPECT_NE((uint64_t)(uintptr_t)b[1024]->head, b[1024]->iova);
	EXPECT_EQ(b[1024]->iova + 100, bypass_buf_iova(b[1024], b[1024]->head + 100));
	EXPECT_EQ(b[1024]->iova,
		  dev->ops->mem_page_iova(dev, b[1024]->head));
	/* Use up the device's regions, then empty the pool. */
	while (r == 0 && nfill < 8) {
		r = dev->ops->mem_register(dev, filler[nfill], 4096, &iova);
		if (r == 0)
			nfill++;
	}
	ASSERT_EQ(-ENOSPC, r);
	for (i = 1025; i < 2048; i++)
		ASSERT_NE(NULL, b[i] = bypass_buf_alloc(pool));
	EXPECT_EQ(NULL, bypass_buf_alloc(pool));
	EXPECT_EQ(-ENOSPC, bypass_pool_grow_error(pool));
	EXPECT_EQ(2048u, bypass_pool_capacity(pool));
	/* It does not try again, even once the device has room. */
	ASSERT_EQ(0, dev->ops->mem_unregister(dev, filler[0], 4096));
	EXPECT_EQ(NULL, bypass_buf_alloc(pool));
	EXPECT_EQ(2048u, bypass_pool_capacity(pool));
	for (i = 0; i < 2048; i++)
		bypass_buf_put(b[i]);
	EXPECT_EQ(2048u, bypass_pool_available(pool));
	for (i = 1; i < nfill; i++)
		dev->ops->mem_unregister(dev, filler[i], 4096);
	bypass_pool_destroy(pool);
	bypass_pair_destroy(pair);
}

TEST_HARNESS_MAIN
