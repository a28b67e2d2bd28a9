-- +goose Up
-- Issue 27: tags and a description on jobs, to organise them. A job's tags are found through the GIN
-- index (tags @> ARRAY['x']); its description is searched like its name, through a trigram index.
ALTER TABLE jobs ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
                 ADD COLUMN description text NOT NULL DEFAULT '';
CREATE INDEX jobs_tags_idx ON jobs USING gin (tags);
CREATE INDEX jobs_description_trgm_idx ON jobs USING gin (description gin_trgm_ops);

-- +goose Down
DROP INDEX jobs_description_trgm_idx;
DROP INDEX jobs_tags_idx;
ALTER TABLE jobs DROP COLUMN description, DROP COLUMN tags;
