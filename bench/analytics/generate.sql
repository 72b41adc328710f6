-- Synthetic events for the analytics benchmark, generated server-side (psql -v rows=N -v span_days=D
-- -v seed=S -v offset=O). Distributions follow `eventhub publish`: ~55% facebook, ~85% top of the funnel,
-- 100k users with a skew towards heavy users, 30 countries (some non-ASCII) fixed per user and ~3% of
-- users without a country, 1000 campaigns (skewed) on facebook bottom events, purchases with cents.
-- Timestamps rise with n over the last `span_days` days (plus up to 10 minutes of jitter), as rows
-- arrive roughly in time order in production; so the heap is correlated with event_time. `data` is a realistic ~300-byte object so the
-- heap has the width of real rows.
\o /dev/null
SELECT setseed(:seed);
\o
INSERT INTO events (event_id, source, funnel_stage, event_type, event_time, received_at, user_id, country,
                    campaign_id, purchase_amount, data)
SELECT 'bench-' || n, source, stage, etype, ts, ts + interval '2 seconds', uid, country, campaign, amount,
       jsonb_build_object(
         'user', jsonb_build_object('userId', uid, 'name', 'User ' || uid, 'age', 18 + n % 50,
                                    'gender', 'female', 'location', jsonb_build_object('country', country, 'city', 'Somewhere')),
         'engagement', jsonb_build_object('actionTime', ts, 'campaignId', campaign, 'device', 'mobile',
                                          'browser', 'Chrome', 'purchaseAmount', amount::text))
FROM (
  SELECT n, source, stage, uid, ts,
         CASE WHEN source = 'facebook' AND stage = 'top' THEN (ARRAY['ad.view','page.like','comment','video.view'])[1 + floor(r3 * 4)::int]
              WHEN source = 'facebook' THEN (ARRAY['ad.click','form.submission','checkout.complete'])[1 + floor(r3 * 3)::int]
              WHEN stage = 'top' THEN (ARRAY['video.view','like','share','comment'])[1 + floor(r3 * 4)::int]
              ELSE (ARRAY['profile.visit','follow','purchase'])[1 + floor(r3 * 3)::int] END AS etype,
         CASE WHEN abs(hashtext(uid)) % 33 >= 30 THEN NULL
              ELSE (ARRAY['United States','Brazil','India','Indonesia','Mexico','Germany','France','United Kingdom',
                          'Spain','Italy','Canada','Australia','Japan','South Korea','Nigeria','Kenya','Egypt',
                          'Türkiye','Poland','Netherlands','Sweden','Norway','Argentina','Chile','Colombia',
                          'Côte d''Ivoire','日本','Việt Nam','España','Österreich'])[1 + abs(hashtext(uid)) % 33] END AS country,
         CASE WHEN source = 'facebook' AND stage = 'bottom'
              THEN 'cmp-' || lpad((1 + floor(power(r6, 3) * 1000))::int::text, 4, '0') END AS campaign,
         CASE WHEN (source = 'facebook' AND stage = 'bottom' AND r3 >= 0.66)
                OR (source = 'tiktok' AND stage = 'bottom' AND r3 >= 0.66)
              THEN round((1 + r7 * 299)::numeric, 2) END AS amount
  FROM (
    SELECT n,
           CASE WHEN random() < 0.55 THEN 'facebook' ELSE 'tiktok' END AS source,
           CASE WHEN random() < 0.85 THEN 'top' ELSE 'bottom' END AS stage,
           random() AS r3,
           'user-' || lpad(floor(power(random(), 2) * 100000)::int::text, 6, '0') AS uid,
           random() AS r6, random() AS r7,
           now() - (1 - (n - :offset)::float8 / :rows) * (:span_days * interval '1 day') - random() * interval '10 minutes' AS ts
    FROM generate_series(:offset + 1, :offset + :rows) AS n
  ) r
) s;
