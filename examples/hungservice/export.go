package main

// ExportJob is one queued export; its requester waits on done.
type ExportJob struct {
	Format string
	done   chan ExportResult
}

type ExportResult struct {
	Bytes int
	Err   error
}

// Wait blocks until a worker has run the job.
func (j *ExportJob) Wait() ExportResult {
	return <-j.done
}

// ExportQueue hands jobs to export workers.
type ExportQueue struct {
	jobs chan *ExportJob
}

func NewExportQueue(depth int) *ExportQueue {
	return &ExportQueue{jobs: make(chan *ExportJob, depth)}
}

// Start launches n export workers. (Nobody calls it: that is the bug the example shows.)
func (q *ExportQueue) Start(n int) {
	for i := 0; i < n; i++ {
		go q.work()
	}
}

func (q *ExportQueue) work() {
	for job := range q.jobs {
		job.done <- ExportResult{Bytes: 4096 * len(job.Format)}
	}
}

// Submit queues job without blocking; false when the queue is full.
func (q *ExportQueue) Submit(job *ExportJob) bool {
	select {
	case q.jobs <- job:
		return true
	default:
		return false
	}
}
